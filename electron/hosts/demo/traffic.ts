import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import type { FailureClass, RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { CHANNELS, type ChannelId, type ModelProfile } from './catalog.js';
import type { Random } from './random.js';

const MAX_MS = 86_400_000;

/** Busyness of a local hour on a working day, 1 at the busiest hours. */
const WORKDAY_RHYTHM = [
  0.04, 0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.15, 0.5, 1, 1, 1, 0.6, 1, 1, 1, 1, 0.95, 0.7, 0.4, 0.4, 0.35, 0.2, 0.1,
];

/** Requests per hour are this share of a working day's at weekends. */
const WEEKEND_FACTOR = 0.25;

/** How busy the local hour starting at `ts` is. */
export function rhythm(ts: number): number {
  const date = new Date(ts);
  const day = date.getDay();
  const factor = day === 0 || day === 6 ? WEEKEND_FACTOR : 1;
  return WORKDAY_RHYTHM[date.getHours()]! * factor;
}

const STATUS: Record<FailureClass, (apiType: string) => number> = {
  retryable: () => 429,
  overloaded: (apiType) => (apiType === 'anthropic' ? 529 : 503),
  quota: (apiType) => (apiType === 'gemini' ? 429 : 402),
  non_retryable: () => 500,
  client_cancel: () => 499,
};

function clampMs(ms: number): number {
  return Math.min(MAX_MS, Math.max(1, Math.round(ms)));
}

export interface RequestOptions {
  /** Forces the channel (a circuit's story); otherwise drawn by the model's weights. */
  channel?: ChannelId;
  /** Channels that must not be used (an open circuit). */
  avoid?: readonly ChannelId[];
  /** Forces a failure of this class. */
  failure?: FailureClass;
  /** Forbids failures (a half-open probe that succeeds). */
  succeed?: boolean;
}

/** Draws the channel of a request, skipping channels whose circuit is open. */
export function pickChannel(profile: ModelProfile, random: Random, avoid: readonly ChannelId[] = []): ChannelId {
  const usable = profile.channels.filter(([id]) => !avoid.includes(id));
  return random.weighted(usable.length > 0 ? usable : profile.channels);
}

/**
 * One request of a model at `ts`, with tokens the way its API reports them: a cloud prompt partly
 * served from the provider's cache; a llama.cpp request as prompt_n (new tokens) and cache_n (reused
 * KV cache), never beyond the context window.
 */
export function sampleRequest(profile: ModelProfile, ts: number, random: Random, options: RequestOptions = {}): RequestRecordInput {
  const channelId = options.channel ?? pickChannel(profile, random, options.avoid);
  const channel = CHANNELS[channelId];
  let input: number;
  let cacheRead = 0;
  let cacheWrite = 0;
  if ('median' in profile.cache) {
    input = Math.max(1, Math.round(Math.min(profile.prompt.max, random.logNormal(profile.prompt.median, profile.prompt.spread))));
    if (random.chance(profile.cache.probability)) {
      cacheRead = Math.round(Math.min(profile.context - input - 1, random.logNormal(profile.cache.median, 0.6)));
      cacheRead = Math.max(0, cacheRead);
    }
  } else {
    const prompt = Math.max(16, Math.round(Math.min(profile.prompt.max, random.logNormal(profile.prompt.median, profile.prompt.spread))));
    if (random.chance(profile.cache.probability)) {
      // Providers cache whole blocks of the prompt prefix.
      cacheRead = Math.floor((prompt * random.between(...profile.cache.share)) / 128) * 128;
    }
    if (profile.cacheWrite && random.chance(profile.cacheWrite.probability)) {
      cacheWrite = Math.round((prompt - cacheRead) * random.between(...profile.cacheWrite.share) * 4);
      cacheWrite = Math.min(cacheWrite, prompt - cacheRead - 1);
    }
    input = prompt - cacheRead - cacheWrite;
  }
  const output = Math.max(1, Math.round(random.logNormal(profile.output.median, profile.output.spread)));
  const ttft = clampMs(random.logNormal(profile.ttftMs, 0.4) + (input / profile.promptPerSecond) * 1000 + (cacheRead / profile.promptPerSecond) * 50);

  const failure = options.succeed ? undefined : (options.failure ?? (random.chance(profile.failureRate) ? random.weighted(profile.failures) : undefined));
  const base = { ts, model: profile.name, apiType: profile.apiType, channel: channel.metricsKey, source: profile.kind === 'local' ? 'llama-swap' : 'proxy' };
  if (failure === undefined) {
    const latency = clampMs(ttft + (output / (profile.tokensPerSecond * random.between(0.8, 1.2))) * 1000);
    return { ...base, inputTokens: input, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, success: true, statusCode: 200, latencyMs: latency, ttftMs: Math.min(ttft, latency) };
  }
  if (failure === 'client_cancel') {
    // The user gave up half-way: the prompt was processed and part of the answer generated.
    const partial = Math.max(1, Math.round(output * random.between(0.05, 0.6)));
    const latency = clampMs(ttft + (partial / profile.tokensPerSecond) * 1000);
    return { ...base, inputTokens: input, outputTokens: partial, cacheReadTokens: cacheRead, cacheWriteTokens: 0, success: false, failureClass: failure, statusCode: STATUS[failure](profile.apiType), latencyMs: latency, ttftMs: Math.min(ttft, latency) };
  }
  // Rejected before any work: no tokens, a quick answer.
  return { ...base, success: false, failureClass: failure, statusCode: STATUS[failure](profile.apiType), latencyMs: clampMs(random.logNormal(350, 0.7)) };
}

/** A circuit state update by metricsKey, as an external gateway would push it. */
export function circuitUpdate(channelId: ChannelId, fields: Omit<CircuitUpdateInput, 'metricsKey' | 'channel' | 'apiType'>): CircuitUpdateInput {
  const channel = CHANNELS[channelId];
  return { metricsKey: channel.metricsKey, apiType: channel.apiType, ...fields };
}

/** Backoff before the next half-open probe: 30 s doubling per level, capped at 10 minutes. */
export function backoffMs(level: number): number {
  return Math.min(30_000 * 2 ** level, 600_000);
}

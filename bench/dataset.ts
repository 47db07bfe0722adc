import { createHash } from 'node:crypto';
import type { PriceTier, PriceVersionInput } from '../shared/schemas/pricing.js';
import type { FailureClass, RequestRecord } from '../shared/schemas/request-record.js';
import type { RunEventInput } from '../shared/schemas/run-event.js';

/**
 * A deterministic generator of realistic usage: a model catalogue (local and cloud models, channels),
 * price versions, model runs and request records in time order, produced in batches so that ten
 * million records never sit in memory at once. Same seed, same end time and same size give the same
 * data, byte for byte.
 */

/** Bump when anything below changes what is generated: a stored dataset of another version is rebuilt. */
export const DATASET_VERSION = 7;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Share of cloud records that carry a requestId (proxy-style records); local ones never do. */
export const REQUEST_ID_SHARE = 0.1;

/** Working folders of coding-agent and proxied calls (issue 15): most cloud calls name one, few local ones. */
export const PROJECTS = Array.from({ length: 12 }, (_, i) => `/home/dev/src/project-${String.fromCharCode(97 + i)}`);
const CLOUD_PROJECT_SHARE = 0.7;
const LOCAL_PROJECT_SHARE = 0.2;

/**
 * Other machines whose records reach this ledger (issue 18: "projects and hosts present"): about one
 * record in five names one of them, the rest are this machine's own (no host).
 */
export const HOSTS = ['gpu-rig', 'build-box', 'laptop-li'] as const;
export const HOST_SHARE = 0.2;

// ---------------------------------------------------------------------------------------------------
// PRNG

/** sfc32: small, fast, 128-bit state; seeded through splitmix32 so any 32-bit seed is fine. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  string(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)]!;
    return out;
  }
}

/** Index into cumulative weights (ascending, last = total) for a uniform draw. */
function pickWeighted(cumulative: readonly number[], draw: number): number {
  const target = draw * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function cumulate(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

// ---------------------------------------------------------------------------------------------------
// Catalogue: channels and models

export type ApiType = 'openai' | 'anthropic' | 'gemini';

export interface ChannelSpec {
  metricsKey: string;
  apiType: ApiType;
  baseUrl: string;
}

export interface ModelSpec {
  name: string;
  local: boolean;
  /** Null for local models reported by launchers (LLM-Manager style records carry no api type). */
  apiType: ApiType | null;
  /** Indexes into the channel list; empty for local models. */
  channels: number[];
  /** Relative traffic share. */
  weight: number;
  failureRate: number;
  /** Tokens per second of generation, and the median time to first token. */
  tokensPerSecond: number;
  ttftMedianMs: number;
  promptMedian: number;
  outputMedian: number;
  maxPrompt: number;
}

export interface Catalogue {
  channels: ChannelSpec[];
  models: ModelSpec[];
}

const CHANNEL_PLAN: { apiType: ApiType; count: number; hosts: string[] }[] = [
  {
    apiType: 'openai',
    count: 10,
    hosts: ['api.openai.com', 'api.deepseek.com', 'dashscope.aliyuncs.com/compatible-mode', 'open.bigmodel.cn/api/paas', 'api.moonshot.cn', 'api.x.ai', 'api.mistral.ai', 'api.groq.com/openai', 'openrouter.ai/api', 'ark.cn-beijing.volces.com/api'],
  },
  { apiType: 'anthropic', count: 6, hosts: ['api.anthropic.com', 'relay-a.example.net', 'relay-b.example.net', 'bedrock-proxy.example.org', 'api.anthropic.com', 'claude-gw.example.com'] },
  { apiType: 'gemini', count: 4, hosts: ['generativelanguage.googleapis.com', 'gemini-relay.example.net', 'generativelanguage.googleapis.com', 'vertex-gw.example.org'] },
];

const CLOUD_MODELS: { name: string; apiType: ApiType; host?: string }[] = [
  { name: 'gpt-5', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-5-mini', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-5-nano', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-4.1', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-4.1-mini', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-4o', apiType: 'openai', host: 'api.openai.com' },
  { name: 'gpt-4o-mini', apiType: 'openai', host: 'api.openai.com' },
  { name: 'o3', apiType: 'openai', host: 'api.openai.com' },
  { name: 'o4-mini', apiType: 'openai', host: 'api.openai.com' },
  { name: 'deepseek-chat', apiType: 'openai', host: 'api.deepseek.com' },
  { name: 'deepseek-reasoner', apiType: 'openai', host: 'api.deepseek.com' },
  { name: 'qwen3-max', apiType: 'openai', host: 'dashscope.aliyuncs.com/compatible-mode' },
  { name: 'qwen-plus', apiType: 'openai', host: 'dashscope.aliyuncs.com/compatible-mode' },
  { name: 'glm-4.6', apiType: 'openai', host: 'open.bigmodel.cn/api/paas' },
  { name: 'kimi-k2-0905-preview', apiType: 'openai', host: 'api.moonshot.cn' },
  { name: 'grok-4', apiType: 'openai', host: 'api.x.ai' },
  { name: 'grok-code-fast-1', apiType: 'openai', host: 'api.x.ai' },
  { name: 'mistral-large-latest', apiType: 'openai', host: 'api.mistral.ai' },
  { name: 'codestral-latest', apiType: 'openai', host: 'api.mistral.ai' },
  { name: 'llama-3.3-70b-versatile', apiType: 'openai', host: 'api.groq.com/openai' },
  { name: 'openai/gpt-oss-120b', apiType: 'openai', host: 'openrouter.ai/api' },
  { name: 'anthropic/claude-sonnet-4', apiType: 'openai', host: 'openrouter.ai/api' },
  { name: 'doubao-seed-1-6-250615', apiType: 'openai', host: 'ark.cn-beijing.volces.com/api' },
  { name: 'claude-opus-4-1-20250805', apiType: 'anthropic' },
  { name: 'claude-sonnet-4-5-20250929', apiType: 'anthropic' },
  { name: 'claude-haiku-4-5-20251001', apiType: 'anthropic' },
  { name: 'claude-3-5-haiku-20241022', apiType: 'anthropic' },
  { name: 'claude-3-7-sonnet-20250219', apiType: 'anthropic' },
  { name: 'claude-sonnet-4-20250514', apiType: 'anthropic' },
  { name: 'gemini-2.5-pro', apiType: 'gemini' },
  { name: 'gemini-2.5-flash', apiType: 'gemini' },
  { name: 'gemini-2.5-flash-lite', apiType: 'gemini' },
  { name: 'gemini-2.0-flash', apiType: 'gemini' },
  { name: 'gemini-flash-latest', apiType: 'gemini' },
  { name: 'gemini-2.5-flash-image', apiType: 'gemini' },
];

const LOCAL_MODELS = [
  'Qwen3-Coder-30B-A3B-Instruct-UD-64K',
  'Qwen3-30B-A3B-Instruct-2507-Q4_K_M',
  'Qwen3-235B-A22B-Instruct-2507-UD-Q2_K_XL',
  'gpt-oss-20b-MXFP4',
  'gpt-oss-120b-MXFP4',
  'GLM-4.5-Air-UD-Q4_K_XL',
  'Llama-3.3-70B-Instruct-Q4_K_M',
  'Mistral-Small-3.2-24B-Instruct-2506-Q6_K',
  'gemma-3-27b-it-qat-Q4_0',
  'Devstral-Small-2507-UD-Q5_K_XL',
  'DeepSeek-R1-Distill-Qwen-32B-Q5_K_M',
  'Phi-4-reasoning-plus-Q8_0',
  'Seed-OSS-36B-Instruct-Q4_K_M',
  'Magistral-Small-2509-Q5_K_M',
  'qwen2.5-coder:7b',
];

function metricsKeyOf(baseUrl: string, apiKey: string): string {
  return createHash('sha256').update(`${baseUrl}|${apiKey}`).digest('hex').slice(0, 16);
}

/** 20 channels and 50 models (15 local, 35 cloud on 1-2 channels of their api type). */
export function buildCatalogue(seed: number): Catalogue {
  const rng = new Prng(seed ^ 0x5eed_ca7a);
  const channels: ChannelSpec[] = [];
  for (const plan of CHANNEL_PLAN) {
    for (let i = 0; i < plan.count; i++) {
      const baseUrl = `https://${plan.hosts[i % plan.hosts.length]!}/v1`;
      channels.push({ metricsKey: metricsKeyOf(baseUrl, `sk-bench-${plan.apiType}-${i}-${rng.string(24)}`), apiType: plan.apiType, baseUrl });
    }
  }

  // Zipf-like popularity over a shuffled order, so local and cloud models mix in the ranking.
  const count = CLOUD_MODELS.length + LOCAL_MODELS.length;
  const ranks = Array.from({ length: count }, (_, i) => i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ranks[i], ranks[j]] = [ranks[j]!, ranks[i]!];
  }
  const weightOf = (index: number) => 1 / Math.pow(ranks[index]! + 1, 0.9);

  const models: ModelSpec[] = [];
  const turn = new Map<ApiType, number>();
  CLOUD_MODELS.forEach((model, i) => {
    const candidates = channels.map((channel, index) => ({ channel, index })).filter(({ channel }) => channel.apiType === model.apiType);
    // The model's own provider first when it has one, else the api type's channels in turn; some
    // models also go through a second channel (a relay or a second key).
    const own = model.host === undefined ? undefined : candidates.find(({ channel }) => channel.baseUrl.includes(model.host!));
    const next = turn.get(model.apiType) ?? 0;
    if (!own) turn.set(model.apiType, next + 1);
    const first = own ?? candidates[next % candidates.length]!;
    const picked = [first.index];
    if (rng.chance(0.45)) {
      const others = candidates.filter(({ index }) => index !== first.index);
      if (others.length > 0) picked.push(others[rng.int(others.length)]!.index);
    }
    const small = /mini|nano|flash|haiku|lite|fast|turbo/.test(model.name);
    models.push({
      name: model.name,
      local: false,
      apiType: model.apiType,
      channels: picked,
      weight: weightOf(i),
      failureRate: 0.02 + rng.next() * 0.07,
      tokensPerSecond: small ? 120 + rng.next() * 120 : 40 + rng.next() * 60,
      ttftMedianMs: small ? 250 + rng.next() * 250 : 500 + rng.next() * 900,
      promptMedian: 1500 + rng.int(4000),
      outputMedian: small ? 250 + rng.int(300) : 350 + rng.int(700),
      maxPrompt: model.apiType === 'gemini' || model.apiType === 'anthropic' ? 1_000_000 : 400_000,
    });
  });
  // Every channel carries traffic: one nobody uses becomes the second channel of a model of its type.
  channels.forEach((channel, index) => {
    if (models.some((model) => model.channels.includes(index))) return;
    const host = models.find((model) => model.apiType === channel.apiType && model.channels.length === 1) ?? models.find((model) => model.apiType === channel.apiType)!;
    if (host.channels.length === 1) host.channels.push(index);
    else host.channels[1] = index;
  });
  LOCAL_MODELS.forEach((name, i) => {
    models.push({
      name,
      local: true,
      apiType: null,
      channels: [],
      weight: weightOf(CLOUD_MODELS.length + i),
      failureRate: 0.01 + rng.next() * 0.05,
      tokensPerSecond: 15 + rng.next() * 90,
      ttftMedianMs: 120 + rng.next() * 400,
      promptMedian: 1000 + rng.int(3000),
      outputMedian: 300 + rng.int(600),
      maxPrompt: 131_072,
    });
  });
  return { channels, models };
}

// ---------------------------------------------------------------------------------------------------
// Prices and runs

export interface PriceSetup {
  model: string;
  version: PriceVersionInput;
}

const CNY_MODELS = new Set(['deepseek-chat', 'deepseek-reasoner', 'qwen3-max', 'qwen-plus', 'glm-4.6', 'kimi-k2-0905-preview', 'doubao-seed-1-6-250615']);
const UNPRICED_CLOUD = new Set(['openai/gpt-oss-120b', 'anthropic/claude-sonnet-4', 'gemini-2.5-flash-image']);
const HOURLY_LOCAL = new Set(['Qwen3-235B-A22B-Instruct-2507-UD-Q2_K_XL', 'gpt-oss-120b-MXFP4', 'GLM-4.5-Air-UD-Q4_K_XL', 'Llama-3.3-70B-Instruct-Q4_K_M']);
const FREE_LOCAL = new Set(['qwen2.5-coder:7b', 'gemma-3-27b-it-qat-Q4_0', 'Phi-4-reasoning-plus-Q8_0']);

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function tiersFor(rng: Prng, model: ModelSpec, currencyFactor: number): PriceTier[] {
  const base = [0.05, 0.1, 0.15, 0.25, 0.4, 0.8, 1.1, 1.25, 2, 3, 5, 15][rng.int(12)]! * currencyFactor;
  const tier = (scale: number, maxPromptTokens: number | null): PriceTier => {
    const input = round4(base * scale);
    const out: PriceTier = { maxPromptTokens, input, output: round4(input * (4 + rng.int(5))), cacheRead: round4(input * (model.apiType === 'anthropic' ? 0.1 : 0.25)) };
    if (model.apiType === 'anthropic') out.cacheWrite = round4(input * 1.25);
    return out;
  };
  // Long-context models price prompts above 200k tokens higher.
  if (model.apiType === 'gemini' || /sonnet-4|qwen3-max/.test(model.name)) return [tier(1, 200_000), tier(2, null)];
  if (rng.chance(0.2)) return [tier(1, 32_000), tier(1.5, 128_000), tier(2.5, null)];
  return [tier(1, null)];
}

/**
 * Price versions for most models: token tiers with cache prices (a few in CNY, some with a price
 * change 12 days before the end), a few local models billed by the hour, a few explicitly free,
 * the rest unpriced. The first version of each model has no date, so it applies from the beginning.
 */
export function buildPrices(catalogue: Catalogue, seed: number, endTs: number): PriceSetup[] {
  const rng = new Prng(seed ^ 0x00c0_ffee);
  const out: PriceSetup[] = [];
  for (const model of catalogue.models) {
    if (model.local) {
      if (HOURLY_LOCAL.has(model.name)) {
        const cny = model.name.startsWith('GLM');
        out.push({ model: model.name, version: { method: 'hourly', currency: cny ? 'CNY' : 'USD', hourly: cny ? 5.5 : round4(0.4 + rng.next() * 1.6) } });
      } else if (FREE_LOCAL.has(model.name)) {
        out.push({ model: model.name, version: { method: 'none', currency: 'USD' } });
      }
      continue;
    }
    if (UNPRICED_CLOUD.has(model.name)) continue;
    const cny = CNY_MODELS.has(model.name);
    const factor = cny ? 7.1 : 1;
    out.push({ model: model.name, version: { method: 'tokens', currency: cny ? 'CNY' : 'USD', tiers: tiersFor(rng, model, factor) } });
    if (rng.chance(0.3)) {
      out.push({
        model: model.name,
        version: { method: 'tokens', currency: cny ? 'CNY' : 'USD', effectiveFrom: endTs - 12 * DAY_MS, tiers: tiersFor(rng, model, factor * 0.8) },
      });
    }
  }
  return out;
}

/** Which launcher reports a local model: Ollama tags have a colon; the others split by name. */
export function localSourceOf(name: string): string {
  return name.includes(':') ? 'ollama' : name.length % 2 === 0 ? 'llm-manager' : 'llama-swap';
}

/** Start/stop pairs for local models over the span, in time order, all closed before the end. */
export function buildRuns(catalogue: Catalogue, seed: number, endTs: number, days: number): RunEventInput[] {
  const rng = new Prng(seed ^ 0x0072_0115);
  const start = endTs - days * DAY_MS;
  const events: (RunEventInput & { ts: number })[] = [];
  for (const model of catalogue.models) {
    if (!model.local) continue;
    const source = localSourceOf(model.name);
    let t = start + rng.int(6 * HOUR_MS);
    for (;;) {
      const length = Math.round(rng.logNormal(90 * MINUTE_MS, 1.0));
      const stop = Math.min(t + Math.max(length, 2 * MINUTE_MS), endTs - MINUTE_MS);
      if (stop <= t) break;
      events.push({ model: model.name, event: 'start', ts: t, source });
      events.push({ model: model.name, event: 'stop', ts: stop, source });
      t = stop + Math.round(rng.logNormal(5 * HOUR_MS, 1.0));
      if (t >= endTs - 10 * MINUTE_MS) break;
    }
  }
  return events.sort((a, b) => a.ts - b.ts);
}

// ---------------------------------------------------------------------------------------------------
// Request records

export interface DatasetSpec {
  records: number;
  /** The newest timestamp (exclusive); records cover [endTs - days, endTs). */
  endTs: number;
  days: number;
  seed: number;
}

/**
 * Requests per minute slot: a working-hours bump, quieter nights and weekends, and per-minute noise;
 * rounded cumulatively so the counts add up to exactly `records`.
 */
function slotCounts(spec: DatasetSpec, rng: Prng): Uint32Array {
  const slots = Math.round((spec.days * DAY_MS) / MINUTE_MS);
  const start = spec.endTs - slots * MINUTE_MS;
  const weights = new Float64Array(slots);
  let total = 0;
  let burst = 1;
  for (let i = 0; i < slots; i++) {
    const t = new Date(start + i * MINUTE_MS);
    const hour = t.getHours() + t.getMinutes() / 60;
    const day = t.getDay();
    const work = Math.exp(-((hour - 14) ** 2) / (2 * 3.2 ** 2));
    const evening = 0.35 * Math.exp(-((hour - 21.5) ** 2) / (2 * 1.5 ** 2));
    const weekend = day === 0 || day === 6 ? 0.45 : 1;
    // Bursts: agent sessions that keep a model busy for a while.
    if (rng.chance(0.002)) burst = 2 + rng.next() * 4;
    else if (burst > 1 && rng.chance(0.03)) burst = 1;
    const w = (0.12 + work + evening) * weekend * burst * Math.exp(0.35 * rng.normal());
    weights[i] = w;
    total += w;
  }
  const counts = new Uint32Array(slots);
  let cumulative = 0;
  let assigned = 0;
  for (let i = 0; i < slots; i++) {
    cumulative += weights[i]!;
    const upTo = i === slots - 1 ? spec.records : Math.round((cumulative / total) * spec.records);
    counts[i] = upTo - assigned;
    assigned = upTo;
  }
  return counts;
}

const FAILURE_CLASS_WEIGHTS: [FailureClass, number][] = [
  ['retryable', 35],
  ['overloaded', 20],
  ['non_retryable', 15],
  ['quota', 15],
  ['client_cancel', 15],
];
const FAILURE_CUMULATIVE = cumulate(FAILURE_CLASS_WEIGHTS.map(([, w]) => w));

function statusFor(rng: Prng, failureClass: FailureClass, apiType: ApiType | null): number {
  switch (failureClass) {
    case 'retryable':
      return rng.pick([500, 502, 503, 504]);
    case 'overloaded':
      return apiType === 'anthropic' ? 529 : 503;
    case 'non_retryable':
      return rng.pick([400, 400, 401, 404, 413]);
    case 'quota':
      return rng.chance(0.9) ? 429 : 402;
    case 'client_cancel':
      return 499;
  }
}

const MAX_TOKENS_FIELD = 1_000_000_000;
const clampTokens = (value: number, max: number) => Math.max(0, Math.min(Math.round(value), max, MAX_TOKENS_FIELD));
const CLOUD_SOURCES = ['proxy', 'proxy', 'proxy', 'ccx', 'script'];

/**
 * Request records in time order, `batchSize` at a time (the last batch may be shorter). Each call
 * regenerates the same sequence from the seed.
 */
export function* recordBatches(spec: DatasetSpec, catalogue: Catalogue, batchSize: number): Generator<RequestRecord[]> {
  const rng = new Prng(spec.seed);
  const counts = slotCounts(spec, new Prng(spec.seed ^ 0x51_0751));
  const start = spec.endTs - counts.length * MINUTE_MS;
  const models = catalogue.models;
  const modelCumulative = cumulate(models.map((model) => model.weight));
  const localSources = models.map((model) => localSourceOf(model.name));
  const offsets: number[] = [];
  let batch: RequestRecord[] = [];
  let serial = 0;

  for (let slot = 0; slot < counts.length; slot++) {
    const n = counts[slot]!;
    if (n === 0) continue;
    const slotStart = start + slot * MINUTE_MS;
    offsets.length = 0;
    for (let i = 0; i < n; i++) offsets.push(rng.int(MINUTE_MS));
    offsets.sort((a, b) => a - b);
    for (let i = 0; i < n; i++) {
      const ts = slotStart + offsets[i]!;
      const modelIndex = pickWeighted(modelCumulative, rng.next());
      const model = models[modelIndex]!;
      batch.push(makeRecord(rng, ts, model, catalogue, localSources[modelIndex]!, serial++));
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

function makeRecord(rng: Prng, ts: number, model: ModelSpec, catalogue: Catalogue, localSource: string, serial: number): RequestRecord {
  // Prompt size: log-normal, a long tail into the 100k+ range.
  const prompt = clampTokens(rng.logNormal(model.promptMedian, 1.25), model.maxPrompt);
  let cacheRead = 0;
  let cacheWrite = 0;
  if (model.local) {
    // llama.cpp reuses the KV cache for the shared prefix of a conversation most of the time.
    if (rng.chance(0.7)) cacheRead = Math.floor(prompt * (0.5 + 0.48 * rng.next()));
  } else if (model.apiType === 'anthropic') {
    if (rng.chance(0.55)) cacheRead = Math.floor(prompt * (0.6 + 0.38 * rng.next()));
    if (rng.chance(0.2)) cacheWrite = Math.floor((prompt - cacheRead) * (0.5 + 0.5 * rng.next()));
  } else if (rng.chance(0.45)) {
    cacheRead = Math.floor((prompt * (0.3 + 0.65 * rng.next())) / 128) * 128;
  }
  let input = prompt - cacheRead - cacheWrite;
  let output = clampTokens(rng.logNormal(model.outputMedian, 1.0), 32_768);

  const success = !rng.chance(model.failureRate);
  let failureClass: FailureClass | null = null;
  let statusCode: number | null = 200;
  const ttft = rng.logNormal(model.ttftMedianMs, 0.6) + (model.local ? input / 1500 : input / 20_000) * 1000;
  let ttftMs: number | null = Math.round(ttft);
  let latencyMs: number | null = Math.round(ttft + (output / model.tokensPerSecond) * 1000 * (0.8 + 0.4 * rng.next()));

  if (!success) {
    if (model.local) {
      failureClass = rng.chance(0.6) ? 'retryable' : rng.chance(0.5) ? 'client_cancel' : 'non_retryable';
      statusCode = failureClass === 'client_cancel' ? 499 : failureClass === 'retryable' ? 503 : 400;
    } else {
      failureClass = FAILURE_CLASS_WEIGHTS[pickWeighted(FAILURE_CUMULATIVE, rng.next())]![0];
      statusCode = statusFor(rng, failureClass, model.apiType);
    }
    if (failureClass === 'client_cancel') {
      // Cancelled mid-stream: part of the output was produced and is billed.
      output = Math.floor(output * rng.next());
      latencyMs = Math.round(ttft + (output / model.tokensPerSecond) * 1000);
    } else {
      output = 0;
      input = failureClass === 'retryable' && rng.chance(0.3) ? input : 0;
      cacheRead = input === 0 ? 0 : cacheRead;
      cacheWrite = 0;
      ttftMs = null;
      latencyMs = Math.round(rng.logNormal(failureClass === 'quota' || failureClass === 'non_retryable' ? 180 : 2500, 0.8));
    }
  }

  let channel: string | null = null;
  let source: string;
  let requestId: string | null = null;
  if (model.local) {
    source = localSource;
    // LLM-Manager style records carry only time and tokens.
    if (source === 'llm-manager') {
      statusCode = null;
      latencyMs = null;
      ttftMs = null;
    }
  } else {
    const channels = model.channels;
    const channelIndex = channels.length === 1 || rng.chance(0.8) ? channels[0]! : channels[1]!;
    channel = catalogue.channels[channelIndex]!.metricsKey;
    source = CLOUD_SOURCES[rng.int(CLOUD_SOURCES.length)]!;
    if (rng.chance(REQUEST_ID_SHARE)) {
      const prefix = model.apiType === 'anthropic' ? 'msg_01' : model.apiType === 'gemini' ? 'gm-' : 'chatcmpl-';
      requestId = `${prefix}${serial.toString(36).padStart(7, '0')}${rng.string(20)}`;
    }
  }
  if (ttftMs !== null && latencyMs !== null && ttftMs > latencyMs) latencyMs = ttftMs;
  // A few projects take most of the work, as on a developer's machine.
  const project = rng.chance(model.local ? LOCAL_PROJECT_SHARE : CLOUD_PROJECT_SHARE) ? PROJECTS[Math.min(rng.int(PROJECTS.length), rng.int(PROJECTS.length))]! : null;
  // The first host takes half of the forwarded records, the others a quarter each.
  const host = rng.chance(HOST_SHARE) ? HOSTS[Math.max(0, rng.int(4) - 1)]! : null;

  return {
    ts,
    model: model.name,
    apiType: model.apiType,
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    success,
    failureClass,
    statusCode,
    latencyMs: latencyMs === null ? null : Math.min(latencyMs, 86_400_000),
    ttftMs: ttftMs === null ? null : Math.min(ttftMs, 86_400_000),
    channel,
    source,
    requestId,
    project,
    host,
  };
}

/** The record as a client would send it: absent fields left out (the API has no nulls). */
export function toWire(record: RequestRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== null) out[key] = value;
  return out;
}

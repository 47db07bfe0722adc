import type { FailureClass } from '../../../shared/schemas/request-record.js';
import type { PriceVersionInput } from '../../../shared/schemas/pricing.js';
import { metricsKey } from '../../ledger/channels/metrics-key.js';

/**
 * The cast of the demo: the channels, the models and their prices. Keys are made up (they are only
 * hashed, as a real gateway would), URLs are the providers' real endpoints or example domains.
 */

export type DemoApiType = 'openai' | 'anthropic' | 'gemini';

export interface DemoChannel {
  id: string;
  label: string;
  baseUrl: string;
  apiKey: string;
  apiType: DemoApiType;
  metricsKey: string;
}

function channel(id: string, label: string, baseUrl: string, apiKey: string, apiType: DemoApiType): DemoChannel {
  return { id, label, baseUrl, apiKey, apiType, metricsKey: metricsKey(baseUrl, apiKey) };
}

export const CHANNELS = {
  openaiMain: channel('openaiMain', 'OpenAI', 'https://api.openai.com/v1', 'sk-demo-openai-main-7f3a9c2e41b8', 'openai'),
  openaiRelay: channel('openaiRelay', 'OpenAI relay', 'https://relay.example.net/v1', 'sk-demo-relay-5d0e8b1c97aa', 'openai'),
  anthropicMain: channel('anthropicMain', 'Anthropic', 'https://api.anthropic.com', 'sk-ant-demo-2b7e4f10c3d9', 'anthropic'),
  anthropicRelay: channel('anthropicRelay', 'Claude relay', 'https://claude-relay.example.org', 'sk-ant-demo-relay-8c1d3e5f7a90', 'anthropic'),
  gemini: channel('gemini', 'Google AI Studio', 'https://generativelanguage.googleapis.com/v1beta', 'AIza-demo-0c4f8e2a6b1d9f37', 'gemini'),
  dashscope: channel('dashscope', 'DashScope', 'https://dashscope.aliyuncs.com/compatible-mode/v1', 'sk-demo-dashscope-4a9e1c7b3f20', 'openai'),
  local: channel('local', 'llama-swap (local)', 'http://127.0.0.1:8080/v1', 'sk-local-llama-swap-0000', 'openai'),
} satisfies Record<string, DemoChannel>;

export type ChannelId = keyof typeof CHANNELS;

/** How a model's requests look: sizes are medians of log-normal draws. */
export interface ModelProfile {
  name: string;
  kind: 'cloud' | 'local';
  apiType: DemoApiType;
  /** Channels by weight; the first is the main one. */
  channels: readonly (readonly [ChannelId, number])[];
  /** Requests per hour at the busiest hour of a working day (cloud), or while running (local). */
  perHour: number;
  /** Prompt tokens not served from cache. For local models this is llama.cpp's prompt_n. */
  prompt: { median: number; spread: number; max: number };
  /** Share of requests that hit the cache and how much of the prompt it served (cloud), or cache_n (local). */
  cache: { probability: number; share: readonly [number, number] } | { probability: number; median: number };
  /** Anthropic-style cache writes: probability and share of the prompt written. */
  cacheWrite?: { probability: number; share: readonly [number, number] };
  /** Context window: a local model never sees more. */
  context: number;
  output: { median: number; spread: number };
  ttftMs: number;
  /** Prompt processing and generation speed, tokens per second. */
  promptPerSecond: number;
  tokensPerSecond: number;
  failureRate: number;
  failures: readonly (readonly [FailureClass, number])[];
}

const CLOUD_FAILURES = [
  ['retryable', 0.45],
  ['overloaded', 0.2],
  ['quota', 0.1],
  ['client_cancel', 0.25],
] as const;

const LOCAL_FAILURES = [
  ['client_cancel', 0.75],
  ['non_retryable', 0.25],
] as const;

/** A cloud model: served by its provider, failing the way providers fail. */
function cloud(profile: Omit<ModelProfile, 'kind' | 'failures'>): ModelProfile {
  return { ...profile, kind: 'cloud', failures: CLOUD_FAILURES };
}

/** A local model: an OpenAI-style server on the user's machine, one channel, failing as local servers fail. */
function local(profile: Omit<ModelProfile, 'kind' | 'apiType' | 'channels' | 'failures'>): ModelProfile {
  return { ...profile, kind: 'local', apiType: 'openai', channels: [['local', 1]], failures: LOCAL_FAILURES };
}

export const QWEN_CODER = 'Qwen3-Coder-30B-A3B-Instruct-UD-64K';
export const GPT_OSS = 'gpt-oss-20b';
export const GLM_AIR = 'GLM-4.5-Air-Q4_K_M';

export const CLOUD_MODELS: readonly ModelProfile[] = [
  cloud({
    name: 'gpt-5-mini',
    apiType: 'openai',
    channels: [['openaiMain', 0.8], ['openaiRelay', 0.2]],
    perHour: 180,
    prompt: { median: 5_000, spread: 0.9, max: 272_000 },
    cache: { probability: 0.55, share: [0.5, 0.9] },
    context: 400_000,
    output: { median: 700, spread: 0.8 },
    ttftMs: 900,
    promptPerSecond: 25_000,
    tokensPerSecond: 110,
    failureRate: 0.03,
  }),
  cloud({
    name: 'claude-sonnet-4-5',
    apiType: 'anthropic',
    channels: [['anthropicMain', 0.85], ['anthropicRelay', 0.15]],
    perHour: 80,
    prompt: { median: 24_000, spread: 0.8, max: 900_000 },
    cache: { probability: 0.8, share: [0.7, 0.95] },
    cacheWrite: { probability: 0.6, share: [0.02, 0.1] },
    context: 1_000_000,
    output: { median: 900, spread: 0.7 },
    ttftMs: 1_400,
    promptPerSecond: 30_000,
    tokensPerSecond: 70,
    failureRate: 0.035,
  }),
  cloud({
    name: 'gemini-2.5-flash',
    apiType: 'gemini',
    channels: [['gemini', 1]],
    perHour: 110,
    prompt: { median: 7_000, spread: 1.0, max: 1_000_000 },
    cache: { probability: 0.25, share: [0.5, 0.8] },
    context: 1_048_576,
    output: { median: 500, spread: 0.9 },
    ttftMs: 600,
    promptPerSecond: 40_000,
    tokensPerSecond: 180,
    failureRate: 0.025,
  }),
  cloud({
    name: 'qwen3-max',
    apiType: 'openai',
    channels: [['dashscope', 1]],
    perHour: 40,
    prompt: { median: 14_000, spread: 1.0, max: 252_000 },
    cache: { probability: 0.3, share: [0.4, 0.8] },
    context: 262_144,
    output: { median: 800, spread: 0.8 },
    ttftMs: 1_100,
    promptPerSecond: 20_000,
    tokensPerSecond: 60,
    failureRate: 0.03,
  }),
];

export const LOCAL_MODELS: readonly ModelProfile[] = [
  local({
    name: QWEN_CODER,
    perHour: 240,
    prompt: { median: 900, spread: 1.0, max: 16_000 },
    cache: { probability: 0.85, median: 14_000 },
    context: 65_536,
    output: { median: 450, spread: 0.9 },
    ttftMs: 60,
    promptPerSecond: 2_200,
    tokensPerSecond: 55,
    failureRate: 0.015,
  }),
  local({
    name: GPT_OSS,
    perHour: 120,
    prompt: { median: 700, spread: 0.9, max: 12_000 },
    cache: { probability: 0.7, median: 6_000 },
    context: 131_072,
    output: { median: 600, spread: 0.9 },
    ttftMs: 40,
    promptPerSecond: 3_000,
    tokensPerSecond: 85,
    failureRate: 0.015,
  }),
  local({
    name: GLM_AIR,
    perHour: 60,
    prompt: { median: 1_200, spread: 0.9, max: 16_000 },
    cache: { probability: 0.8, median: 10_000 },
    context: 65_536,
    output: { median: 700, spread: 0.8 },
    ttftMs: 120,
    promptPerSecond: 450,
    tokensPerSecond: 14,
    failureRate: 0.015,
  }),
];

/** The model nobody has priced yet: the UI shows it as "Unpriced", and a test prices it. */
export const UNPRICED_MODEL = QWEN_CODER;

export interface DemoPriceVersion {
  model: string;
  version: PriceVersionInput;
}

/**
 * Prices in force over the demo week. Figures are the providers' list prices at the time of writing,
 * per 1M tokens; the Gemini change mid-week shows a second price version with its own window.
 */
export function priceVersions(geminiChangeAt: number): DemoPriceVersion[] {
  return [
    { model: 'gpt-5-mini', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 0.25, output: 2, cacheRead: 0.025 }] } },
    {
      model: 'claude-sonnet-4-5',
      version: {
        method: 'tokens',
        currency: 'USD',
        tiers: [
          { maxPromptTokens: 200_000, input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
          { maxPromptTokens: null, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5 },
        ],
      },
    },
    { model: 'gemini-2.5-flash', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 0.15, output: 0.6, cacheRead: 0.0375 }] } },
    {
      model: 'gemini-2.5-flash',
      version: { method: 'tokens', currency: 'USD', effectiveFrom: geminiChangeAt, tiers: [{ maxPromptTokens: null, input: 0.3, output: 2.5, cacheRead: 0.075 }] },
    },
    {
      model: 'qwen3-max',
      version: {
        method: 'tokens',
        currency: 'CNY',
        tiers: [
          { maxPromptTokens: 32_000, input: 6, output: 24, cacheRead: 1.2 },
          { maxPromptTokens: 128_000, input: 10, output: 40, cacheRead: 2 },
          { maxPromptTokens: null, input: 15, output: 60, cacheRead: 3 },
        ],
      },
    },
    // A rented GPU billed by the hour the model is loaded.
    { model: GLM_AIR, version: { method: 'hourly', currency: 'CNY', hourly: 2.8 } },
    // Runs on the user's own card: explicitly free, which is not the same as unpriced.
    { model: GPT_OSS, version: { method: 'none', currency: 'USD' } },
  ];
}

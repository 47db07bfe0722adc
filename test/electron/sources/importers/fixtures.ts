import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * Source databases in the layouts the real tools wrote (LLM-Manager's core/monitor.py and
 * core/data_manager.py, ccx's backend-go/internal/metrics/sqlite_store.go), filled with rows the way
 * those tools filled them: epoch seconds, end = start at a start, a default all-zero tier per model.
 */

export const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const NOW_S = NOW / 1000;
const HOUR_S = 3600;

export const MODEL_QWEN = 'Qwen3-Coder-30B-A3B-Instruct-UD-64K';
export const MODEL_GLM = 'unsloth/GLM-4.5-Air-GGUF:Q4_K_M';
export const MODEL_CN = '通义千问-7B-对话';
export const MODEL_OLD = 'mistral-7b-instruct';

const dirs: string[] = [];
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-import-'));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** LLM-Manager's table prefix for a model: "model_" + the first 16 hex characters of sha256(name). */
export function safeName(model: string): string {
  return `model_${createHash('sha256').update(model, 'utf8').digest('hex').slice(0, 16)}`;
}

/** A small deterministic generator, so the fixtures are the same on every run. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export interface LlmRequest {
  start: number;
  end: number;
  input: number;
  output: number;
  cacheN: number;
  promptN: number;
}

/** llama.cpp-style requests: prompt split into cache hits (cache_n) and processed tokens (prompt_n). */
function llamaRequests(count: number, seed: number, fromHoursAgo: number, bigPromptEvery = 0): LlmRequest[] {
  const random = generator(seed);
  const out: LlmRequest[] = [];
  for (let i = 0; i < count; i++) {
    const end = NOW_S - fromHoursAgo * HOUR_S + (i * (fromHoursAgo * HOUR_S - 60)) / count + random() * 0.999;
    const cacheN = Math.floor(random() * 20_000);
    const promptN = 1 + Math.floor(random() * (bigPromptEvery && i % bigPromptEvery === 0 ? 30_000 : 8_000));
    out.push({ start: end - 0.5 - random() * 20, end, input: cacheN + promptN, output: 1 + Math.floor(random() * 2_000), cacheN, promptN });
  }
  return out;
}

export interface Tier {
  index: number;
  minInput: number;
  maxInput: number;
  minOutput: number;
  maxOutput: number;
  input: number;
  output: number;
  supportCache: boolean;
  cacheWrite: number;
  cacheRead: number;
}

const ZERO_TIER: Tier = { index: 1, minInput: 0, maxInput: 32768, minOutput: 0, maxOutput: 32768, input: 0, output: 0, supportCache: false, cacheWrite: 0, cacheRead: 0 };

export const QWEN_TIERS: Tier[] = [
  { index: 1, minInput: 0, maxInput: 32768, minOutput: 0, maxOutput: -1, input: 2, output: 8, supportCache: true, cacheWrite: 0.5, cacheRead: 0.2 },
  { index: 2, minInput: 32768, maxInput: -1, minOutput: 0, maxOutput: -1, input: 4, output: 16, supportCache: true, cacheWrite: 1, cacheRead: 0.4 },
];
export const GLM_HOURLY = 3.6;

/** LLM-Manager's own bill for one request (its tier_cost): the figure an import must reproduce. */
export function llmManagerCost(tiers: readonly Tier[], request: LlmRequest): number {
  for (const tier of tiers) {
    const inputOk = tier.minInput === 0 ? request.input >= 0 : request.input > tier.minInput;
    const inputUnder = tier.maxInput < 0 || request.input <= tier.maxInput;
    const outputOk = tier.minOutput === 0 ? request.output >= 0 : request.output > tier.minOutput;
    const outputUnder = tier.maxOutput < 0 || request.output <= tier.maxOutput;
    if (!(inputOk && inputUnder && outputOk && outputUnder)) continue;
    const raw = tier.supportCache
      ? request.cacheN * tier.cacheRead + request.promptN * (tier.input + tier.cacheWrite) + request.output * tier.output
      : request.input * tier.input + request.output * tier.output;
    return raw / 1_000_000;
  }
  return 0;
}

export interface LlmFixture {
  file: string;
  requests: Record<string, LlmRequest[]>;
  /** Segments in seconds; end null = never ended (the later layout only). */
  runtime: Record<string, { start: number; end: number | null }[]>;
  program: { start: number; end: number }[];
}

const QWEN_RUNTIME = [
  { start: NOW_S - 60 * HOUR_S, end: NOW_S - 40 * HOUR_S },
  { start: NOW_S - 30 * HOUR_S, end: NOW_S - 30 * HOUR_S },
  { start: NOW_S - 20 * HOUR_S, end: NOW_S - 2 * HOUR_S },
];
const GLM_RUNTIME = [
  { start: NOW_S - 50 * HOUR_S, end: NOW_S - 49 * HOUR_S },
  { start: NOW_S - 10 * HOUR_S, end: NOW_S - 7.5 * HOUR_S },
];
const PROGRAM = [
  { start: NOW_S - 70 * HOUR_S, end: NOW_S - 35 * HOUR_S },
  { start: NOW_S - 25 * HOUR_S, end: NOW_S - HOUR_S },
];

/** The first layout: one table set per model, named by its safe name, found through model_name_mapping. */
export function buildTablesLayout(dir: string): LlmFixture {
  const file = path.join(dir, 'monitoring.db');
  const db = new BetterSqlite3(file);
  db.exec(`
    CREATE TABLE model_name_mapping (id INTEGER PRIMARY KEY AUTOINCREMENT, original_name TEXT UNIQUE NOT NULL, safe_name TEXT UNIQUE NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE program_runtime (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL, end_time REAL NOT NULL);
  `);
  const requests: Record<string, LlmRequest[]> = {
    [MODEL_QWEN]: llamaRequests(2_400, 7, 60, 9),
    [MODEL_GLM]: llamaRequests(700, 11, 50),
    [MODEL_CN]: llamaRequests(300, 13, 30),
  };
  const runtime: LlmFixture['runtime'] = { [MODEL_QWEN]: QWEN_RUNTIME, [MODEL_GLM]: GLM_RUNTIME, [MODEL_CN]: [] };
  const tiersOf: Record<string, Tier[]> = { [MODEL_QWEN]: QWEN_TIERS, [MODEL_GLM]: [ZERO_TIER], [MODEL_CN]: [ZERO_TIER] };
  for (const model of [MODEL_QWEN, MODEL_GLM, MODEL_CN]) {
    const safe = safeName(model);
    db.prepare('INSERT INTO model_name_mapping (original_name, safe_name) VALUES (?, ?)').run(model, safe);
    db.exec(`
      CREATE TABLE ${safe}_runtime (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL, end_time REAL NOT NULL);
      CREATE TABLE ${safe}_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL, end_time REAL NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_n INTEGER NOT NULL, prompt_n INTEGER NOT NULL);
      CREATE TABLE ${safe}_tier_pricing (tier_index INTEGER PRIMARY KEY, min_input_tokens INTEGER NOT NULL, max_input_tokens INTEGER NOT NULL,
        min_output_tokens INTEGER NOT NULL, max_output_tokens INTEGER NOT NULL, input_price REAL NOT NULL, output_price REAL NOT NULL,
        support_cache BOOLEAN NOT NULL DEFAULT 0, cache_write_price REAL NOT NULL DEFAULT 0.0, cache_read_price REAL NOT NULL DEFAULT 0.0);
      CREATE TABLE ${safe}_hourly_price (id INTEGER PRIMARY KEY CHECK (id = 1), hourly_price REAL NOT NULL DEFAULT 0);
      CREATE TABLE ${safe}_billing_method (id INTEGER PRIMARY KEY CHECK (id = 1), use_tier_pricing BOOLEAN NOT NULL DEFAULT 1);
    `);
    const insertRequest = db.prepare(`INSERT INTO ${safe}_requests (start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n) VALUES (?, ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (const r of requests[model]!) insertRequest.run(r.start, r.end, r.input, r.output, r.cacheN, r.promptN);
    })();
    for (const segment of runtime[model]!) db.prepare(`INSERT INTO ${safe}_runtime (start_time, end_time) VALUES (?, ?)`).run(segment.start, segment.end);
    for (const t of tiersOf[model]!) {
      db.prepare(`INSERT INTO ${safe}_tier_pricing VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(t.index, t.minInput, t.maxInput, t.minOutput, t.maxOutput, t.input, t.output, t.supportCache ? 1 : 0, t.cacheWrite, t.cacheRead);
    }
    // The billing method was switched to hourly for GLM in LLM-Manager's UI; the others kept the default.
    db.prepare(`INSERT INTO ${safe}_hourly_price (id, hourly_price) VALUES (1, ?)`).run(model === MODEL_GLM ? GLM_HOURLY : 0);
    db.prepare(`INSERT INTO ${safe}_billing_method (id, use_tier_pricing) VALUES (1, ?)`).run(model === MODEL_GLM ? 0 : 1);
  }
  // The oldest tables of a model: requests with a single timestamp and no cache split, old tier columns.
  const oldSafe = safeName(MODEL_OLD);
  db.prepare('INSERT INTO model_name_mapping (original_name, safe_name) VALUES (?, ?)').run(MODEL_OLD, oldSafe);
  db.exec(`
    CREATE TABLE ${oldSafe}_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL);
    CREATE TABLE ${oldSafe}_tier_pricing (tier_index INTEGER PRIMARY KEY, start_tokens INTEGER NOT NULL, end_tokens INTEGER NOT NULL,
      input_price_per_million REAL NOT NULL, output_price_per_million REAL NOT NULL);
  `);
  const old = llamaRequests(120, 17, 40).map((r) => ({ ...r, start: 0, cacheN: 0, promptN: r.input }));
  for (const r of old) db.prepare(`INSERT INTO ${oldSafe}_requests (timestamp, input_tokens, output_tokens) VALUES (?, ?, ?)`).run(r.end, r.input, r.output);
  db.prepare(`INSERT INTO ${oldSafe}_tier_pricing VALUES (1, 0, -1, 1.5, 3)`).run();
  requests[MODEL_OLD] = old;
  runtime[MODEL_OLD] = [];
  for (const segment of PROGRAM) db.prepare('INSERT INTO program_runtime (start_time, end_time) VALUES (?, ?)').run(segment.start, segment.end);
  db.close();
  return { file, requests, runtime, program: PROGRAM };
}

export const OLD_TIERS: Tier[] = [{ index: 1, minInput: 0, maxInput: -1, minOutput: 0, maxOutput: -1, input: 1.5, output: 3, supportCache: false, cacheWrite: 0, cacheRead: 0 }];

/** The later layout: shared tables keyed by model_id, a run still open (end_time NULL), program_runtimes. */
export function buildUnifiedLayout(dir: string): LlmFixture & { openRunLastRequest: number } {
  const file = path.join(dir, 'monitoring-unified.db');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE models (id INTEGER PRIMARY KEY AUTOINCREMENT, original_name TEXT UNIQUE NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE program_runtimes (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL, end_time REAL);
    CREATE TABLE model_runtime (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL, start_time REAL NOT NULL, end_time REAL);
    CREATE TABLE model_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL, start_time REAL NOT NULL, end_time REAL NOT NULL,
      input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_n INTEGER NOT NULL, prompt_n INTEGER NOT NULL);
    CREATE TABLE tier_pricing (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL, tier_index INTEGER NOT NULL,
      min_input_tokens INTEGER NOT NULL, max_input_tokens INTEGER NOT NULL, min_output_tokens INTEGER NOT NULL, max_output_tokens INTEGER NOT NULL,
      input_price REAL NOT NULL, output_price REAL NOT NULL, support_cache BOOLEAN NOT NULL DEFAULT 0,
      cache_write_price REAL NOT NULL DEFAULT 0.0, cache_read_price REAL NOT NULL DEFAULT 0.0, UNIQUE(model_id, tier_index));
    CREATE TABLE hourly_pricing (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL UNIQUE, hourly_price REAL NOT NULL DEFAULT 0);
    CREATE TABLE billing_methods (id INTEGER PRIMARY KEY AUTOINCREMENT, model_id INTEGER NOT NULL UNIQUE, use_tier_pricing BOOLEAN NOT NULL DEFAULT 1);
  `);
  const requests: Record<string, LlmRequest[]> = { [MODEL_QWEN]: llamaRequests(1_500, 23, 48, 7), [MODEL_GLM]: llamaRequests(400, 29, 12) };
  // GLM's last run never ended (LLM-Manager was killed): its last request is the last sign of life.
  const openStart = NOW_S - 12 * HOUR_S;
  const glmRequests = requests[MODEL_GLM]!;
  const openRunLastRequest = Math.max(...glmRequests.map((r) => r.end));
  const runtime: LlmFixture['runtime'] = { [MODEL_QWEN]: QWEN_RUNTIME, [MODEL_GLM]: [{ start: NOW_S - 50 * HOUR_S, end: NOW_S - 49 * HOUR_S }, { start: openStart, end: null }] };
  for (const [id, model] of [MODEL_QWEN, MODEL_GLM].entries()) {
    const modelId = id + 1;
    db.prepare('INSERT INTO models (id, original_name) VALUES (?, ?)').run(modelId, model);
    const insert = db.prepare('INSERT INTO model_requests (model_id, start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n) VALUES (?, ?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of requests[model]!) insert.run(modelId, r.start, r.end, r.input, r.output, r.cacheN, r.promptN);
    })();
    for (const segment of runtime[model]!) db.prepare('INSERT INTO model_runtime (model_id, start_time, end_time) VALUES (?, ?, ?)').run(modelId, segment.start, segment.end);
    const tiers = model === MODEL_QWEN ? QWEN_TIERS : [ZERO_TIER];
    for (const t of tiers) {
      db.prepare(
        `INSERT INTO tier_pricing (model_id, tier_index, min_input_tokens, max_input_tokens, min_output_tokens, max_output_tokens, input_price, output_price, support_cache, cache_write_price, cache_read_price)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(modelId, t.index, t.minInput, t.maxInput, t.minOutput, t.maxOutput, t.input, t.output, t.supportCache ? 1 : 0, t.cacheWrite, t.cacheRead);
    }
    db.prepare('INSERT INTO hourly_pricing (model_id, hourly_price) VALUES (?, ?)').run(modelId, model === MODEL_GLM ? GLM_HOURLY : 0);
    db.prepare('INSERT INTO billing_methods (model_id, use_tier_pricing) VALUES (?, ?)').run(modelId, model === MODEL_GLM ? 0 : 1);
  }
  for (const segment of PROGRAM) db.prepare('INSERT INTO program_runtimes (start_time, end_time) VALUES (?, ?)').run(segment.start, segment.end);
  db.close();
  return { file, requests, runtime, program: PROGRAM, openRunLastRequest };
}

export interface CcxRecord {
  key: string;
  baseUrl: string;
  keyMask: string;
  ts: number;
  success: boolean;
  failureClass: string;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  apiType: string;
  model: string;
}

export const CCX_KEYS = {
  anthropic: createHash('sha256').update('https://api.anthropic.com|sk-ant-1234567890abcdef').digest('hex').slice(0, 16),
  relay: createHash('sha256').update('https://relay.example.com/v1|sk-relay-abcdefghijkl').digest('hex').slice(0, 16),
  gemini: createHash('sha256').update('https://generativelanguage.googleapis.com|AIzaSyA-1234567890').digest('hex').slice(0, 16),
};

/** ccx's metrics.db at schema v2: model and failure_class columns, circuit states persisted. */
export function buildCcx(dir: string): { file: string; records: CcxRecord[] } {
  const file = path.join(dir, 'metrics.db');
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE request_records (id INTEGER PRIMARY KEY AUTOINCREMENT, metrics_key TEXT NOT NULL, base_url TEXT NOT NULL, key_mask TEXT NOT NULL,
      timestamp INTEGER NOT NULL, success INTEGER NOT NULL, failure_class TEXT NOT NULL DEFAULT '', input_tokens INTEGER DEFAULT 0,
      output_tokens INTEGER DEFAULT 0, cache_creation_tokens INTEGER DEFAULT 0, cache_read_tokens INTEGER DEFAULT 0,
      api_type TEXT NOT NULL DEFAULT 'messages', model TEXT DEFAULT '');
    CREATE TABLE circuit_states (metrics_key TEXT NOT NULL, api_type TEXT NOT NULL, base_url TEXT NOT NULL, key_mask TEXT NOT NULL,
      circuit_state TEXT NOT NULL DEFAULT 'closed', circuit_opened_at INTEGER, half_open_at INTEGER, next_retry_at INTEGER,
      backoff_level INTEGER NOT NULL DEFAULT 0, half_open_successes INTEGER NOT NULL DEFAULT 0, consecutive_failures INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL, PRIMARY KEY (metrics_key, api_type));
    PRAGMA user_version = 2;
  `);
  const random = generator(31);
  const channels = [
    { key: CCX_KEYS.anthropic, baseUrl: 'https://api.anthropic.com', keyMask: 'sk-a****cdef', apiType: 'messages', models: ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5'] },
    { key: CCX_KEYS.relay, baseUrl: 'https://relay.example.com/v1', keyMask: 'sk-r****ijkl', apiType: 'chat', models: ['gpt-5-mini'] },
    { key: CCX_KEYS.gemini, baseUrl: 'https://generativelanguage.googleapis.com', keyMask: 'AIza****7890', apiType: 'gemini', models: ['gemini-2.5-pro'] },
  ];
  const classes = ['retryable', 'quota', 'client_cancel', 'non_retryable'];
  const records: CcxRecord[] = [];
  for (let i = 0; i < 3_000; i++) {
    const channel = channels[i % channels.length]!;
    const success = random() > 0.15;
    records.push({
      key: channel.key,
      baseUrl: channel.baseUrl,
      keyMask: channel.keyMask,
      ts: Math.floor(NOW_S - 20 * HOUR_S + i * 20),
      success,
      failureClass: success ? '' : classes[i % classes.length]!,
      input: success ? Math.floor(random() * 5_000) : 0,
      output: success ? Math.floor(random() * 1_500) : 0,
      cacheCreation: success && i % 5 === 0 ? Math.floor(random() * 3_000) : 0,
      cacheRead: success ? Math.floor(random() * 40_000) : 0,
      apiType: channel.apiType,
      // The first rows predate ccx recording the model.
      model: i < 30 ? '' : channel.models[i % channel.models.length]!,
    });
  }
  const insert = db.prepare(
    `INSERT INTO request_records (metrics_key, base_url, key_mask, timestamp, success, failure_class, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, api_type, model)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const r of records) insert.run(r.key, r.baseUrl, r.keyMask, r.ts, r.success ? 1 : 0, r.failureClass, r.input, r.output, r.cacheCreation, r.cacheRead, r.apiType, r.model);
  })();
  const state = db.prepare('INSERT INTO circuit_states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  state.run(CCX_KEYS.relay, 'chat', 'https://relay.example.com/v1', 'sk-r****ijkl', 'open', NOW_S - 600, null, NOW_S + 300, 2, 0, 7, NOW_S - 600);
  state.run(CCX_KEYS.gemini, 'gemini', 'https://generativelanguage.googleapis.com', 'AIza****7890', 'half_open', NOW_S - 1200, NOW_S - 60, null, 1, 0, 5, NOW_S - 60);
  state.run(CCX_KEYS.anthropic, 'messages', 'https://api.anthropic.com', 'sk-a****cdef', 'closed', null, null, null, 0, 0, 0, NOW_S - 3000);
  db.close();
  return { file, records };
}

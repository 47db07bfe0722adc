import { createHash } from 'node:crypto';
import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import { CIRCUIT_STATES, type CircuitStateName } from '../../../shared/schemas/circuit.js';
import { FAILURE_CLASSES, LOWER_NAME_PATTERN, MAX_FUTURE_MS, METRICS_KEY_PATTERN, type FailureClass, type RequestRecordInput } from '../../../shared/schemas/request-record.js';
import type { CircuitReporter, ImportPorts } from '../ports.js';
import { cell, ident, NUMBER_CHARS, requireSmallCells, type SourceDb } from './source.js';
import { MAX_MODEL_CHARS, modelName, toMs, tokens, type ImportWriter } from './writer.js';

export const CCX_SOURCE = 'ccx';
/** ccx rows written before it recorded the model (its schema v0). */
export const CCX_UNKNOWN_MODEL = 'unknown';
/** Longest cells read (see cell()): a key is 16 characters, an api type 32, a URL rarely past 2,000. */
const MAX_KEY = 1024;
const MAX_SHORT = 64;
const MAX_URL = 2048;
/** ccx keeps a state per channel and api type: a handful. A file with millions is not ccx's. */
const MAX_CIRCUITS = 10_000;

type Row = Record<string, unknown>;

/** Every column the reader touches (selects, sorts, groups), per table. */
const READ_COLUMNS: Record<string, readonly string[]> = {
  request_records: ['id', 'metrics_key', 'timestamp', 'success', 'failure_class', 'input_tokens', 'output_tokens', 'cache_creation_tokens', 'cache_read_tokens', 'api_type', 'model'],
  circuit_states: ['metrics_key', 'api_type', 'base_url', 'key_mask', 'circuit_state', 'circuit_opened_at', 'next_retry_at', 'backoff_level', 'consecutive_failures', 'updated_at'],
};

/**
 * ccx's metrics.db. Times are epoch seconds. Its metrics_key is already ModelMeter's channel key
 * (first 16 hex characters of sha256(baseURL|apiKey)); base URL and key mask go into the label.
 * Token columns follow Anthropic's usage: input_tokens are uncached, cache_read_tokens served from
 * cache and cache_creation_tokens written to it.
 */
export async function importCcx(source: SourceDb, service: ImportPorts, writer: ImportWriter, now: number): Promise<void> {
  if (writer.mode === 'check') {
    for (const [table, columns] of Object.entries(READ_COLUMNS)) {
      if (source.tables.has(table)) await requireSmallCells(source, table, columns, () => writer.tick());
    }
  }
  writer.progress('reading', 0, 1);
  const hasRecords = source.has('request_records', 'metrics_key', 'timestamp');
  const total = hasRecords ? Number(source.db.prepare(`SELECT count(*) FROM request_records`).pluck().get()) : 0;
  writer.progress('reading', 1, 1);
  if (hasRecords) await importRecords(source, writer, now, total);
  if (source.has('circuit_states', 'metrics_key', 'api_type', 'circuit_state')) await importCircuits(source, service, writer);
}

async function importRecords(source: SourceDb, writer: ImportWriter, now: number, total: number): Promise<void> {
  const columns = source.columns('request_records');
  const pick = (column: string, max: number, fallback = 'NULL') => (columns.has(column) ? cell(ident(column), max) : fallback);
  const statement = source.db.prepare(
    `SELECT ${pick('id', NUMBER_CHARS, 'rowid')} AS id, ${cell('metrics_key', MAX_KEY)} AS k, ${cell('timestamp', NUMBER_CHARS)} AS t,
            ${pick('success', NUMBER_CHARS, '1')} AS ok, ${pick('failure_class', MAX_SHORT)} AS f,
            ${pick('input_tokens', NUMBER_CHARS)} AS i, ${pick('output_tokens', NUMBER_CHARS)} AS o, ${pick('cache_creation_tokens', NUMBER_CHARS)} AS cw,
            ${pick('cache_read_tokens', NUMBER_CHARS)} AS cr, ${pick('api_type', MAX_SHORT)} AS a, ${pick('model', MAX_MODEL_CHARS)} AS m
     FROM request_records ORDER BY ${columns.has('id') ? 'id' : 'rowid'}`,
  );
  writer.expectRequests(total);
  let badTime = 0;
  let unknownModel = 0;
  let unknownClass = 0;
  for (const row of statement.iterate() as IterableIterator<Row>) {
    await writer.tick();
    const ts = toMs(row['t']);
    if (ts === null || ts > now + MAX_FUTURE_MS) {
      badTime++;
      writer.skipRequest();
      continue;
    }
    let model = modelName(row['m']);
    if (model === null) {
      unknownModel++;
      model = CCX_UNKNOWN_MODEL;
    }
    writer.noteModel(model);
    const success = row['ok'] === null ? true : Number(row['ok']) !== 0;
    const record: RequestRecordInput = {
      ts,
      model,
      inputTokens: tokens(row['i']),
      outputTokens: tokens(row['o']),
      cacheReadTokens: tokens(row['cr']),
      cacheWriteTokens: tokens(row['cw']),
      success,
      source: CCX_SOURCE,
      channel: channelKey(row['k']),
      // ccx's ids are stable in its file (AUTOINCREMENT, never reused); the time guards against a second ccx file.
      requestId: `ccx:${String(row['t'])}:${String(row['id'])}`,
    };
    const apiType = apiTypeOf(row['a']);
    if (apiType !== null) record.apiType = apiType;
    if (!success) {
      const failure = failureClass(row['f']);
      if (failure !== null) record.failureClass = failure;
      else if (typeof row['f'] === 'string' && row['f'] !== '') unknownClass++;
    }
    await writer.addRequest(record);
  }
  await writer.flushRequests();
  if (badTime > 0) writer.note(`${badTime} request records had no usable timestamp and were left out.`);
  if (unknownModel > 0) writer.note(`${unknownModel} request records were written before ccx recorded the model; they are filed under the model "${CCX_UNKNOWN_MODEL}".`);
  if (unknownClass > 0) writer.note(`${unknownClass} failed records carry a failure class ModelMeter does not know; they are kept as failures without a class.`);
  writer.note('ccx costs are not imported: ModelMeter prices requests from the prices set in Pricing.');
}

async function importCircuits(source: SourceDb, service: CircuitReporter, writer: ImportWriter): Promise<void> {
  const columns = source.columns('circuit_states');
  const pick = (column: string, max = NUMBER_CHARS) => (columns.has(column) ? cell(ident(column), max) : 'NULL');
  const rows = source.db
    .prepare(
      `SELECT ${cell('metrics_key', MAX_KEY)} AS k, ${cell('api_type', MAX_SHORT)} AS a, ${pick('base_url', MAX_URL)} AS url, ${pick('key_mask', MAX_SHORT)} AS mask,
              ${cell('circuit_state', MAX_SHORT)} AS s, ${pick('circuit_opened_at')} AS opened, ${pick('next_retry_at')} AS retry,
              ${pick('backoff_level')} AS level, ${pick('consecutive_failures')} AS failures, ${pick('updated_at')} AS updated
       FROM circuit_states ORDER BY metrics_key, api_type LIMIT ${MAX_CIRCUITS}`,
    )
    .all() as Row[];
  const latest = latestOutcomes(source);
  const existing = new Map((await service.listCircuits({})).map((circuit) => [`${circuit.metricsKey}|${circuit.apiType}`, circuit]));
  writer.progress('circuits', 0, rows.length);
  let newer = 0;
  let done = 0;
  for (const row of rows) {
    writer.checkAbort();
    writer.report.circuits.read++;
    const state = typeof row['s'] === 'string' && (CIRCUIT_STATES as readonly string[]).includes(row['s']) ? (row['s'] as CircuitStateName) : null;
    const apiType = apiTypeOf(row['a']);
    if (state === null || apiType === null) {
      writer.report.circuits.skipped++;
      continue;
    }
    const metricsKey = channelKey(row['k']);
    const ts = toMs(row['updated']) ?? undefined;
    const current = existing.get(`${metricsKey}|${apiType}`);
    if (current?.updatedAt !== null && current?.updatedAt !== undefined && ts !== undefined && current.updatedAt >= ts) {
      if (current.updatedAt === ts) writer.report.circuits.unchanged++;
      else {
        writer.report.circuits.skipped++;
        newer++;
      }
      continue;
    }
    const outcome = latest.get(`${String(row['k'])}|${String(row['a'])}`);
    const update: CircuitUpdateInput = {
      metricsKey,
      apiType,
      state,
      consecutiveFailures: Math.min(tokens(row['failures']), 1_000_000),
      openedAt: toMs(row['opened']),
      nextRetryAt: toMs(row['retry']),
      backoffLevel: Math.min(tokens(row['level']), 64),
      reason: 'imported from ccx',
    };
    if (ts !== undefined) update.ts = ts;
    const label = [row['url'], row['mask'] ? `(${String(row['mask'])})` : null].filter((part) => typeof part === 'string' && part !== '').join(' ');
    if (label) update.label = [...label].slice(0, 128).join('');
    if (outcome?.success != null) update.lastSuccessAt = outcome.success;
    if (outcome?.failure != null) update.lastFailureAt = outcome.failure;
    await writer.putCircuit(update);
    writer.report.circuits.updated++;
    writer.progress('circuits', ++done, rows.length);
  }
  writer.progress('circuits', rows.length, rows.length);
  if (newer > 0) writer.note(`${newer} circuit states were kept as they are: ModelMeter's state of those channels is newer than ccx's.`);
}

/** Last success and failure per channel over all of ccx's history (its LoadLatestTimestamps). */
function latestOutcomes(source: SourceDb): Map<string, { success: number | null; failure: number | null }> {
  const out = new Map<string, { success: number | null; failure: number | null }>();
  if (!source.has('request_records', 'metrics_key', 'timestamp', 'success')) return out;
  const apiType = source.has('request_records', 'api_type') ? cell('api_type', MAX_SHORT) : `'messages'`;
  const rows = source.db
    .prepare(
      `SELECT ${cell('metrics_key', MAX_KEY)} AS k, ${apiType} AS a, ${cell('max(CASE WHEN success = 1 THEN timestamp END)', NUMBER_CHARS)} AS s,
              ${cell('max(CASE WHEN success = 0 THEN timestamp END)', NUMBER_CHARS)} AS f
       FROM request_records GROUP BY 1, 2 LIMIT ${MAX_CIRCUITS}`,
    )
    .all() as Row[];
  for (const row of rows) out.set(`${String(row['k'])}|${String(row['a'])}`, { success: toMs(row['s']), failure: toMs(row['f']) });
  return out;
}

/** ccx keys are ModelMeter keys; anything else (a hand-edited file) is hashed into one, stably. */
function channelKey(value: unknown): string {
  const key = String(value ?? '').trim().toLowerCase();
  return METRICS_KEY_PATTERN.test(key) ? key : createHash('sha256').update(`ccx|${String(value ?? '')}`).digest('hex').slice(0, 16);
}

function apiTypeOf(value: unknown): string | null {
  // ccx's column default: rows from before it had more than one api type were all Claude messages.
  const text = value === null || value === undefined || value === '' ? 'messages' : String(value).trim().toLowerCase();
  return LOWER_NAME_PATTERN.test(text) ? text : null;
}

function failureClass(value: unknown): FailureClass | null {
  return typeof value === 'string' && (FAILURE_CLASSES as readonly string[]).includes(value) ? (value as FailureClass) : null;
}

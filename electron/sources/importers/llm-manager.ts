import { createHash } from 'node:crypto';
import type { PriceTier, PriceVersionInput } from '../../../shared/schemas/pricing.js';
import { MAX_FUTURE_MS, type RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { cell, ident, NUMBER_CHARS, requireSmallCells, type SourceDb } from './source.js';
import { MAX_MODEL_CHARS, modelName, toMs, tokens, type ImportWriter, type Segment } from './writer.js';

export const LLM_MANAGER_SOURCE = 'llm-manager';
export const LLM_MANAGER_PROGRAM_SOURCE = 'llm-manager-program';
export const LLM_MANAGER_PROGRAM_MODEL = 'LLM-Manager';
const MAX_PRICE = 10_000;
const MAX_TIERS = 32;
/** Longest safe_name read: LLM-Manager's are short hashes; a longer one names no table we read anyway. */
const MAX_SAFE_NAME = 512;
/** The tier columns either layout used; read one by one and capped, never `SELECT *`. */
const TIER_COLUMNS = [
  'max_input_tokens',
  'end_tokens',
  'support_cache',
  'cache_hit_price_per_million',
  'input_price',
  'input_price_per_million',
  'output_price',
  'output_price_per_million',
  'cache_read_price',
  'cache_write_price',
  'max_output_tokens',
] as const;
/** Tables either layout reads from, and every column read, sorted or filtered on in them. */
const READ_TABLES = /^(model_name_mapping|models|model_requests|model_runtime|tier_pricing|pricing_tiers|billing_methods|hourly_pricing|program_runtimes?)$|_(requests|runtime|tier_pricing|billing_method|hourly_price|billing)$/;
const READ_COLUMNS = [
  'id',
  'model_id',
  'original_name',
  'safe_name',
  'start_time',
  'end_time',
  'timestamp',
  'input_tokens',
  'output_tokens',
  'cache_n',
  'prompt_n',
  'use_tier_pricing',
  'hourly_price',
  'tier_index',
  ...TIER_COLUMNS,
];

type Row = Record<string, unknown>;

/** Where one model's rows live: its own tables (first layout) or its id in the shared ones (later layout). */
interface ModelTables {
  name: string;
  requests: { table: string; where: string; params: unknown[] } | null;
  runtime: { table: string; where: string; params: unknown[] } | null;
  tiers: { table: string; where: string; params: unknown[] } | null;
  /** null: the source never said (LLM-Manager's default was tier billing at price 0). */
  useTierPricing: boolean | null;
  hourlyPrice: number | null;
}

/**
 * LLM-Manager's monitoring.db, both layouts. Its times are epoch seconds (REAL); a request's time is
 * its end_time (what LLM-Manager windowed and billed by). Its `cache_n` counts prompt tokens served
 * from the KV cache and `prompt_n` the prompt tokens processed (llama.cpp `timings`), so cache_n ->
 * cacheReadTokens and prompt_n -> inputTokens; its `input_tokens` is their sum.
 */
export async function importLlmManager(source: SourceDb, layout: 'tables' | 'unified', writer: ImportWriter, options: { currency: string; programRuntime: 'skip' | 'as-model'; now: number }): Promise<void> {
  if (writer.mode === 'check') {
    for (const table of source.tables) {
      if (READ_TABLES.test(table)) await requireSmallCells(source, table, READ_COLUMNS, () => writer.tick());
    }
  }
  writer.progress('reading', 0, 1);
  const models = layout === 'tables' ? tablesLayout(source, writer) : unifiedLayout(source);
  writer.progress('reading', 1, 1);
  for (const model of models) writer.noteModel(model.name);

  await importPrices(models, source, writer, options.currency);
  await importRequests(models, source, writer, options.now);
  await importRuns(models, source, writer, options.programRuntime);
}

function tablesLayout(source: SourceDb, writer: ImportWriter): ModelTables[] {
  let pairs: { name: string; safe: string }[];
  if (source.has('model_name_mapping', 'original_name', 'safe_name')) {
    pairs = source.db
      .prepare<[], { original_name: unknown; safe_name: unknown }>(
        `SELECT ${cell('original_name', MAX_MODEL_CHARS)} AS original_name, ${cell('safe_name', MAX_SAFE_NAME)} AS safe_name FROM model_name_mapping ORDER BY id`,
      )
      .all()
      .flatMap((row) => {
        const name = modelName(row.original_name);
        return name !== null && typeof row.safe_name === 'string' ? [{ name, safe: row.safe_name }] : [];
      });
  } else {
    // The very first files had no mapping table: the safe name (a hash) is all that is left of the model's name.
    pairs = [...source.tables].filter((table) => table.endsWith('_requests')).map((table) => ({ safe: table.slice(0, -'_requests'.length), name: table.slice(0, -'_requests'.length) }));
    writer.note('This file has no model_name_mapping table, so models are named by their table prefix (for example model_1a2b…); rename them in LLM-Manager terms if needed.');
  }
  return pairs.map(({ name, safe }) => {
    const table = (suffix: string) => (source.tables.has(`${safe}${suffix}`) ? `${safe}${suffix}` : null);
    const requests = table('_requests');
    const runtime = table('_runtime');
    const tiers = table('_tier_pricing');
    let useTierPricing: boolean | null = null;
    let hourlyPrice: number | null = null;
    const billing = table('_billing_method');
    if (billing && source.has(billing, 'use_tier_pricing')) useTierPricing = flag(source.db.prepare(`SELECT ${cell('use_tier_pricing', NUMBER_CHARS)} FROM ${ident(billing)} LIMIT 1`).pluck().get());
    const hourly = table('_hourly_price');
    if (hourly && source.has(hourly, 'hourly_price')) hourlyPrice = number(source.db.prepare(`SELECT ${cell('hourly_price', NUMBER_CHARS)} FROM ${ident(hourly)} LIMIT 1`).pluck().get());
    // An intermediate version kept both in one `{safe}_billing` row.
    const combined = table('_billing');
    if (combined && source.has(combined, 'use_tier_pricing')) {
      const row = source.db.prepare(`SELECT ${cappedColumns(source, combined, ['use_tier_pricing', 'hourly_price'])} FROM ${ident(combined)} LIMIT 1`).get() as Row | undefined;
      if (row) {
        useTierPricing ??= flag(row['use_tier_pricing']);
        hourlyPrice ??= number(row['hourly_price']);
      }
    }
    return {
      name,
      requests: requests ? { table: requests, where: '', params: [] } : null,
      runtime: runtime ? { table: runtime, where: '', params: [] } : null,
      tiers: tiers ? { table: tiers, where: '', params: [] } : null,
      useTierPricing,
      hourlyPrice,
    };
  });
}

function unifiedLayout(source: SourceDb): ModelTables[] {
  const rows = source.db
    .prepare<[], { id: unknown; original_name: unknown }>(`SELECT ${cell('id', NUMBER_CHARS)} AS id, ${cell('original_name', MAX_MODEL_CHARS)} AS original_name FROM models ORDER BY id`)
    .all();
  const tierTable = ['tier_pricing', 'pricing_tiers'].find((table) => source.has(table, 'model_id'));
  const perModel = (table: string, column: string, id: unknown): unknown =>
    source.has(table, 'model_id', column) ? source.db.prepare(`SELECT ${cell(ident(column), NUMBER_CHARS)} FROM ${ident(table)} WHERE model_id = ? LIMIT 1`).pluck().get(id) : undefined;
  return rows.flatMap((row) => {
    const name = modelName(row.original_name);
    if (name === null) return [];
    const byModel = (table: string) => (source.has(table, 'model_id') ? { table, where: 'WHERE model_id = ?', params: [row.id] } : null);
    return [
      {
        name,
        requests: byModel('model_requests'),
        runtime: byModel('model_runtime'),
        tiers: tierTable ? byModel(tierTable) : null,
        useTierPricing: flag(perModel('billing_methods', 'use_tier_pricing', row.id)),
        hourlyPrice: number(perModel('hourly_pricing', 'hourly_price', row.id)),
      },
    ];
  });
}

async function importPrices(models: readonly ModelTables[], source: SourceDb, writer: ImportWriter, currency: string): Promise<void> {
  writer.report.prices.currency = currency;
  const placeholder: string[] = [];
  const absent: string[] = [];
  const outputBounds: string[] = [];
  let done = 0;
  for (const model of models) {
    writer.progress('pricing', done++, models.length);
    const price = priceOf(model, source, currency, outputBounds, writer);
    if (price === 'placeholder' || price === 'absent') {
      (price === 'absent' ? absent : placeholder).push(model.name);
      writer.report.prices.skipped++;
    } else if (price !== null) {
      await writer.addPrice(model.name, price);
    }
  }
  writer.progress('pricing', done, models.length);
  if (placeholder.length > 0) {
    writer.note(
      `No price was imported for ${list(placeholder)}: LLM-Manager held only its all-zero default there. ModelMeter shows such models as unpriced (never as free); set a price or "free" in Pricing.`,
    );
  }
  if (absent.length > 0) {
    writer.note(`The file holds no prices for ${list(absent)} (LLM-Manager's newest versions keep them in their configuration file); set them in Pricing.`);
  }
  if (outputBounds.length > 0) {
    writer.note(`The output-token limits of the price tiers of ${list(outputBounds)} were left out: ModelMeter chooses a tier by prompt size only.`);
  }
}

/** The model's current LLM-Manager billing as one ModelMeter price version. */
function priceOf(model: ModelTables, source: SourceDb, currency: string, outputBounds: string[], writer: ImportWriter): PriceVersionInput | 'placeholder' | 'absent' | null {
  if (!model.tiers && model.useTierPricing === null && model.hourlyPrice === null) return 'absent';
  const useTiers = model.useTierPricing ?? true;
  if (!useTiers) {
    const hourly = model.hourlyPrice ?? 0;
    if (hourly <= 0) return 'placeholder';
    if (hourly > MAX_PRICE) return invalidPrice(model.name, writer);
    return { method: 'hourly', currency, hourly };
  }
  if (!model.tiers) return 'placeholder';
  const { table, where, params } = model.tiers;
  const order = source.has(table, 'tier_index') ? 'ORDER BY tier_index' : '';
  const rows = source.db.prepare(`SELECT ${cappedColumns(source, table, TIER_COLUMNS)} FROM ${ident(table)} ${where} ${order} LIMIT 1000`).all(...params) as Row[];
  const tiers: PriceTier[] = [];
  const bounds = new Set<number | null>();
  let bounded = false;
  for (const row of rows) {
    const max = number(row['max_input_tokens'] ?? row['end_tokens']);
    const bound = max === null || max < 0 ? null : Math.round(max);
    // A bound already taken belongs to the earlier tier (LLM-Manager used the first match).
    if (bound === 0 || bounds.has(bound)) continue;
    const supportsCache = flag(row['support_cache']) ?? row['cache_hit_price_per_million'] !== undefined;
    const input = number(row['input_price'] ?? row['input_price_per_million']) ?? 0;
    const output = number(row['output_price'] ?? row['output_price_per_million']) ?? 0;
    const cacheRead = number(row['cache_read_price'] ?? row['cache_hit_price_per_million']) ?? 0;
    const cacheWrite = number(row['cache_write_price']) ?? 0;
    // LLM-Manager billed every processed prompt token (prompt_n) at input + cache-write price when the
    // model supported caching (llama.cpp writes each processed token to its cache); ModelMeter bills
    // them as input tokens, so the input price carries both. Without caching, cache hits were billed as
    // input, which is what a tier without a cache-read price does.
    const tier: PriceTier = supportsCache
      ? { maxPromptTokens: bound, input: input + cacheWrite, output, cacheRead }
      : { maxPromptTokens: bound, input, output };
    if ([tier.input, tier.output, tier.cacheRead ?? 0].some((price) => !(price >= 0 && price <= MAX_PRICE))) return invalidPrice(model.name, writer);
    const maxOutput = number(row['max_output_tokens']);
    if (maxOutput !== null && maxOutput >= 0) bounded = true;
    bounds.add(bound);
    tiers.push(tier);
  }
  if (tiers.length === 0 || tiers.every((tier) => tier.input === 0 && tier.output === 0 && (tier.cacheRead ?? 0) === 0)) return 'placeholder';
  if (tiers.length > MAX_TIERS) {
    writer.note(`"${model.name}" has ${tiers.length} price tiers; ModelMeter keeps the first ${MAX_TIERS}.`);
    tiers.length = MAX_TIERS;
  }
  if (bounded) outputBounds.push(model.name);
  if (!bounds.has(null)) {
    writer.note(`"${model.name}": LLM-Manager charged nothing for a prompt above its last tier; ModelMeter bills such a prompt at the last tier.`);
  }
  return { method: 'tokens', currency, tiers };
}

function invalidPrice(model: string, writer: ImportWriter): null {
  writer.report.prices.skipped++;
  writer.note(`The price of "${model}" was not imported: a price is negative or above ${MAX_PRICE} per 1M tokens (or per hour).`);
  return null;
}

async function importRequests(models: readonly ModelTables[], source: SourceDb, writer: ImportWriter, now: number): Promise<void> {
  let total = 0;
  for (const model of models) {
    if (!model.requests) continue;
    const { table, where, params } = model.requests;
    total += Number(source.db.prepare(`SELECT count(*) FROM ${ident(table)} ${where}`).pluck().get(...params));
  }
  writer.expectRequests(total);
  let badTime = 0;
  for (const model of models) {
    if (!model.requests) continue;
    const { table, where, params } = model.requests;
    const columns = source.columns(table);
    const pick = (column: string) => (columns.has(column) ? cell(ident(column), NUMBER_CHARS) : 'NULL');
    const end = columns.has('end_time') ? 'end_time' : 'timestamp';
    const statement = source.db.prepare(
      `SELECT ${pick('start_time')} AS s, ${pick(end)} AS e, ${pick('input_tokens')} AS i, ${pick('output_tokens')} AS o,
              ${pick('cache_n')} AS c, ${pick('prompt_n')} AS p
       FROM ${ident(table)} ${where} ORDER BY ${columns.has('id') ? 'id' : 'rowid'}`,
    );
    for (const row of statement.iterate(...params) as IterableIterator<Row>) {
      await writer.tick();
      const record = toRecord(model.name, row, now);
      if (record === null) {
        badTime++;
        writer.skipRequest();
      } else {
        await writer.addRequest(record);
      }
    }
  }
  await writer.flushRequests();
  if (badTime > 0) writer.note(`${badTime} request rows had no usable time (missing, zero, or more than a day in the future) and were left out.`);
}

function toRecord(model: string, row: Row, now: number): RequestRecordInput | null {
  const ts = toMs(row['e']) ?? toMs(row['s']);
  if (ts === null || ts > now + MAX_FUTURE_MS) return null;
  const total = tokens(row['i']);
  const output = tokens(row['o']);
  const split = row['c'] !== null && row['p'] !== null;
  const cacheRead = split ? tokens(row['c']) : 0;
  let input = split ? tokens(row['p']) : total;
  // Rows written from an API `usage` without llama.cpp timings (or before LLM-Manager split them) hold
  // the whole prompt in input_tokens only: keep the prompt size.
  if (input + cacheRead < total) input = total - cacheRead;
  const record: RequestRecordInput = {
    ts,
    model,
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    source: LLM_MANAGER_SOURCE,
    requestId: requestId(model, row),
  };
  const start = toMs(row['s']);
  if (start !== null && start <= ts && ts - start <= 86_400_000) record.latencyMs = ts - start;
  return record;
}

/**
 * From the row's content rather than its rowid: LLM-Manager's own migration renumbered rows between
 * its two layouts, and the same request must be recognised in both files.
 */
function requestId(model: string, row: Row): string {
  const parts = [model, row['e'] ?? row['s'], row['i'], row['o'], row['c'], row['p']].map((value) => (value === null || value === undefined ? '' : String(value)));
  return `llmm:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;
}

async function importRuns(models: readonly ModelTables[], source: SourceDb, writer: ImportWriter, programRuntime: 'skip' | 'as-model'): Promise<void> {
  const perModel = models.map((model) => ({ model, segments: model.runtime ? readSegments(source, model.runtime, model.requests) : { segments: [], zero: 0, closed: 0 } }));
  const programTable = ['program_runtime', 'program_runtimes'].find((table) => source.has(table, 'start_time', 'end_time'));
  const program = programTable ? readSegments(source, { table: programTable, where: '', params: [] }, null) : { segments: [], zero: 0, closed: 0 };
  const progress = {
    done: 0,
    total: perModel.reduce((sum, entry) => sum + entry.segments.segments.length, 0) + (programRuntime === 'as-model' ? program.segments.length : 0),
  };
  writer.progress('runs', 0, progress.total);
  let zero = 0;
  let closed = 0;
  for (const { model, segments } of perModel) {
    writer.report.runs.read += segments.zero;
    writer.report.runs.skipped += segments.zero;
    zero += segments.zero;
    closed += segments.closed;
    if (segments.segments.length > 0) await writer.addRuns(model.name, LLM_MANAGER_SOURCE, segments.segments, 'runs', progress);
  }
  if (zero > 0) writer.note(`${zero} runtime segments that never lasted (start = end: a start with no later update) were left out.`);
  if (closed > 0) writer.note(`${closed} runtime segments had no end; they were closed at the model's last request in them (or at their start).`);

  const programCount = program.segments.length + program.zero;
  if (programCount === 0) return;
  if (programRuntime === 'skip') {
    writer.report.programRuns.read += programCount;
    writer.report.programRuns.skipped += programCount;
    writer.note(
      `LLM-Manager's own uptime (${programCount} segments) was not imported: ModelMeter's program runs are its own. Import with programRuntime "as-model" to keep it as runs of a model named "${LLM_MANAGER_PROGRAM_MODEL}".`,
    );
    return;
  }
  writer.report.programRuns.read += program.zero;
  writer.report.programRuns.skipped += program.zero;
  if (program.segments.length > 0) await writer.addRuns(LLM_MANAGER_PROGRAM_MODEL, LLM_MANAGER_PROGRAM_SOURCE, program.segments, 'programRuns', progress);
}

/**
 * A table's segments in ms, sorted. LLM-Manager wrote end = start at a start and moved end on at the
 * stop, so an end equal to the start is a start nothing followed (skipped: it adds no time). A missing
 * end (its last layout) is closed at the last thing known to have happened in it: the model's last
 * request before the next segment, else its start.
 */
function readSegments(source: SourceDb, at: { table: string; where: string; params: unknown[] }, requests: ModelTables['requests']): { segments: Segment[]; zero: number; closed: number } {
  const rows = source.db
    .prepare(`SELECT ${cell('start_time', NUMBER_CHARS)} AS s, ${cell('end_time', NUMBER_CHARS)} AS e FROM ${ident(at.table)} ${at.where} ORDER BY start_time`)
    .all(...at.params) as Row[];
  const segments: Segment[] = [];
  let zero = 0;
  let closed = 0;
  rows.forEach((row, index) => {
    const start = toMs(row['s']);
    if (start === null) {
      zero++;
      return;
    }
    let end = toMs(row['e']);
    if (row['e'] === null || row['e'] === undefined) {
      closed++;
      end = lastRequestIn(source, requests, row['s'], rows[index + 1]?.['s']) ?? start;
    }
    if (end === null || end <= start) {
      zero++;
      return;
    }
    segments.push({ start, end });
  });
  return { segments, zero, closed };
}

function lastRequestIn(source: SourceDb, requests: ModelTables['requests'], from: unknown, before: unknown): number | null {
  if (!requests || !source.has(requests.table, 'end_time')) return null;
  const and = requests.where ? `${requests.where} AND` : 'WHERE';
  const upper = before === undefined || before === null ? '' : 'AND end_time < ?';
  const params = [...requests.params, from, ...(upper ? [before] : [])];
  return toMs(source.db.prepare(`SELECT ${cell('max(end_time)', NUMBER_CHARS)} FROM ${ident(requests.table)} ${and} end_time >= ? ${upper}`).pluck().get(...params));
}

/** The given columns a table has, each capped (see cell()) and under its own name; absent ones stay absent. */
function cappedColumns(source: SourceDb, table: string, wanted: readonly string[]): string {
  const present = wanted.filter((column) => source.columns(table).has(column));
  return present.length === 0 ? 'NULL AS none' : present.map((column) => `${cell(ident(column), NUMBER_CHARS)} AS ${ident(column)}`).join(', ');
}

function number(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  return Number.isFinite(n) ? n : null;
}

function flag(value: unknown): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
  return Number(value) !== 0;
}

function list(names: readonly string[]): string {
  const quoted = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${quoted.join(', ')} and ${names.length - 8} more` : quoted.join(', ');
}

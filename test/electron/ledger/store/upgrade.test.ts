import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { CircuitStore } from '../../../../electron/ledger/store/circuits.js';
import { StoreContext } from '../../../../electron/ledger/store/context.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { Maintenance } from '../../../../electron/ledger/store/maintenance.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from '../../../../electron/ledger/store/migrations.js';
import { PricingStore } from '../../../../electron/ledger/store/pricing-store.js';
import { Reports } from '../../../../electron/ledger/store/reports.js';
import { Repricer } from '../../../../electron/ledger/store/repricing.js';
import { RequestWriter } from '../../../../electron/ledger/store/request-writer.js';
import { ProgramRunStore, RunStore } from '../../../../electron/ledger/store/runs.js';
import { SettingsStore } from '../../../../electron/ledger/store/settings-store.js';
import { ConfigStore } from '../../../../electron/ledger/store/config-store.js';
import { UsageQuery } from '../../../../electron/ledger/store/usage-query.js';
import { machineCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import { priceVersionInputSchema, type PriceVersionInput } from '../../../../shared/schemas/pricing.js';
import type { FailureClass, RequestRecord } from '../../../../shared/schemas/request-record.js';
import { useTimeZone } from '../time/tz.js';
import { prng } from './harness.js';

/**
 * Upgrade (issue 5, item 3): a database written by each earlier schema version, with data in every
 * table, opens under this build with nothing lost. migrations.test.ts covers the mechanics (version 0,
 * one transaction, a failing step) and the refusal of a newer database, byte-identical with and
 * without a WAL; this file covers the data.
 */
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.UTC(2024, 9, 25, 6, 13, 7);
const NOW = START + 4 * DAY;

useTimeZone('Europe/Berlin');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-upgrade-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, and the schema itself, in a stable order. */
function dumpAll(db: BetterSqlite3.Database): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all();
  for (const { name } of tables) {
    out[name] = db
      .prepare(`SELECT * FROM "${name}"`)
      .all()
      .map((row) => JSON.stringify(row))
      .sort();
  }
  out['(schema)'] = db
    .prepare<[], { type: string; name: string; sql: string | null }>(`SELECT type, name, sql FROM sqlite_master ORDER BY type, name`)
    .all()
    .map((row) => JSON.stringify(row));
  return out;
}

// gpt-4o has no price of the user's until late: the catalogue prices its first days.
const MODELS = ['gpt-5-mini', 'Qwen3-Coder-30B-A3B-Instruct-UD-64K', '模型-ü', 'llama-box', 'gpt-4o'];
const CHANNELS = ['0123456789abcdef', 'fedcba9876543210'];
const FAILURES: FailureClass[] = ['retryable', 'overloaded', 'quota', 'client_cancel', 'non_retryable'];

/** A realistic few days of use, written by the store's own writers at an older schema version. */
async function fill(db: BetterSqlite3.Database, now: { value: number }): Promise<StoreContext> {
  const ctx = new StoreContext(db, () => now.value, machineCalendar());
  const writer = new RequestWriter(ctx);
  const runs = new RunStore(ctx);
  const programRuns = new ProgramRunStore(ctx);
  const circuits = new CircuitStore(ctx);
  const pricing = new PricingStore(ctx, new Repricer(ctx));
  const settings = new SettingsStore(ctx, new ConfigStore(ctx));
  const maintenance = new Maintenance(ctx, circuits);
  const random = prng(20_250_105);
  const price = (model: string, input: PriceVersionInput) => {
    const body = priceVersionInputSchema.parse(input);
    ctx.write(() => {
      const modelId = ctx.models.ensure(model);
      pricing.apply(pricing.planAdd(modelId, body, ctx.currencies.ensure(body.currency)), body);
    });
  };

  now.value = START;
  const program = ctx.write(() => programRuns.start());
  price('gpt-5-mini', { method: 'tokens', tiers: [{ maxPromptTokens: 32_000, input: 0.25, output: 2, cacheRead: 0.025 }, { maxPromptTokens: null, input: 0.5, output: 4 }] });
  price('llama-box', { method: 'hourly', currency: 'EUR', hourly: 1.75 });
  price('模型-ü', { method: 'none' });

  const records: RequestRecord[] = [];
  for (let i = 0; i < 3_000; i++) {
    const success = random() > 0.1;
    const model = MODELS[Math.floor(random() * MODELS.length)]!;
    // A channel only with its api type: version 1 had no api type 0 for channels named without one.
    const withChannel = random() < 0.6;
    records.push({
      ts: START + Math.floor(random() * 3 * DAY),
      model,
      apiType: withChannel ? (random() < 0.5 ? 'openai' : 'anthropic') : random() < 0.5 ? 'openai' : null,
      inputTokens: Math.floor(random() * 50_000),
      outputTokens: Math.floor(random() * 4_000),
      cacheReadTokens: random() < 0.4 ? Math.floor(random() * 20_000) : 0,
      cacheWriteTokens: random() < 0.1 ? Math.floor(random() * 5_000) : 0,
      success,
      failureClass: success ? null : FAILURES[Math.floor(random() * FAILURES.length)]!,
      statusCode: success ? 200 : 529,
      latencyMs: Math.floor(random() * 20_000),
      ttftMs: null,
      channel: withChannel ? CHANNELS[Math.floor(random() * CHANNELS.length)]! : null,
      source: random() < 0.5 ? 'proxy' : 'llama-swap',
      requestId: random() < 0.3 ? `req-${i}` : null,
      responseId: random() < 0.3 ? `chatcmpl-${i}` : null,
    });
  }
  records.sort((a, b) => a.ts - b.ts);
  for (let i = 0; i < records.length; i += 500) ctx.write(() => writer.write(records.slice(i, i + 500)));

  // A second price from a date inside the data (re-prices its window), and a first price for Qwen.
  now.value = START + 3 * DAY + HOUR;
  price('gpt-5-mini', { method: 'tokens', effectiveFrom: START + DAY + 7 * HOUR, tiers: [{ maxPromptTokens: null, input: 0.3, output: 2.5 }] });
  price('Qwen3-Coder-30B-A3B-Instruct-UD-64K', { method: 'tokens', currency: 'CNY', effectiveFrom: START + 2 * DAY, tiers: [{ maxPromptTokens: null, input: 1, output: 4, cacheWrite: 1.25 }] });
  // Takes the catalogue-priced requests of its window from the catalogue (a re-pricing).
  price('gpt-4o', { method: 'tokens', effectiveFrom: START + 2 * DAY + 12 * HOUR, tiers: [{ maxPromptTokens: null, input: 2, output: 10 }] });

  ctx.write(() => {
    runs.report({ model: 'llama-box', event: 'start', source: 'llama-swap', ts: START + HOUR });
    runs.report({ model: 'llama-box', event: 'stop', source: 'llama-swap', ts: START + 9 * HOUR });
    runs.report({ model: 'Qwen3-Coder-30B-A3B-Instruct-UD-64K', event: 'start', ts: START + DAY });
    runs.report({ model: 'Qwen3-Coder-30B-A3B-Instruct-UD-64K', event: 'heartbeat', ts: START + DAY + 30 * MINUTE });
    runs.report({ model: 'llama-box', event: 'start', source: 'ollama', ts: START + 2 * DAY });
    programRuns.heartbeat(program);
  });
  ctx.write(() => {
    const openai = ctx.apiTypes.ensure('openai');
    const anthropic = ctx.apiTypes.ensure('anthropic');
    const first = ctx.channels.ensure(CHANNELS[0]!, openai, { baseUrl: 'https://api.example.com/v1', keyMask: 'sk-a…9xQ2', label: 'primary' });
    const second = ctx.channels.ensure(CHANNELS[1]!, anthropic, { baseUrl: 'https://api.anthropic.example', keyMask: 'sk-b…0000', label: null });
    circuits.set(first, { state: 'open', consecutiveFailures: 5, openedAt: START + DAY, nextRetryAt: START + DAY + 30_000, backoffLevel: 1, lastFailureAt: START + DAY }, START + DAY, 'five failures');
    circuits.set(first, { state: 'half_open', backoffLevel: 1 }, START + DAY + 30_000, null);
    circuits.set(second, { state: 'closed', lastSuccessAt: START + 2 * DAY }, START + 2 * DAY, null);
    settings.update({ retentionDays: 30, runStaleSeconds: 300, displayCurrency: 'USD', currencyRates: { CNY: 0.14, EUR: 1.08 } });
  });
  // Raw rows of the first day expired, minute rollups trimmed: the rollups carry those totals alone.
  now.value = NOW;
  await maintenance.deleteRawBefore(START + DAY, () => Promise.resolve());
  maintenance.trimMinuteRollups(NOW);
  ctx.write(() => programRuns.stop(program));
  return ctx;
}

/** The answers people read, from a store context (before the upgrade) or a ledger (after). */
function answers(ctx: StoreContext) {
  const usage = new UsageQuery(ctx);
  const runs = new RunStore(ctx);
  const circuits = new CircuitStore(ctx);
  const reports = new Reports(ctx, usage, runs);
  const range = { from: START - DAY, to: NOW };
  return {
    summary: reports.summary(range, circuits.countByState()),
    history: reports.history({ range, intervalSeconds: 3 * 3600, filter: {}, includeRuntime: true, groupBy: 'model' }),
    runs: runs.list({ limit: 1_000 }),
    programRuns: new ProgramRunStore(ctx).list(1_000),
    circuits: circuits.list(),
    events: circuits.events({ limit: 1_000 }),
    pricing: new PricingStore(ctx, new Repricer(ctx)).list(),
    settings: new SettingsStore(ctx, new ConfigStore(ctx)).get(),
  };
}

const ID_COLUMNS = ['request_id', 'response_id'] as const;

/** The requests table's columns at version 16, in order (the ids in their rows). */
const V16_REQUEST_COLUMNS = [
  'id', 'model_id', 'api_type_id', 'channel_id', 'source_id', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
  'success', 'failure_class', 'status_code', 'latency_ms', 'ttft_ms', 'cost_nanos', 'currency_id', 'request_id', 'provider_id',
  'cache_write_1h_tokens', 'price_source_id', 'project_id', 'branch_id', 'session_id', 'response_id', 'host_id',
] as const;
const TEXT_COLUMNS = new Set<string>(['request_id', 'session_id', 'response_id']);

const earlier = MIGRATIONS.filter((step) => step.version < SCHEMA_VERSION);

/**
 * The store's writers only speak the current schema, so an older database is made by filling a
 * current one and undoing the later steps. Each step needs its undo here, the newest first.
 */
const UNDO: Record<number, (db: BetterSqlite3.Database) => void> = {
  // The ids back in their columns (where versions 1 and 4 put them), indexed by millisecond.
  17: (db) => {
    const triggers = db.prepare<[], string>(`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'catalogue_priced_%'`).pluck().all();
    db.exec(`
      CREATE TABLE requests_v16 (${V16_REQUEST_COLUMNS.map((column) => `${column} ${column === 'id' ? 'INTEGER PRIMARY KEY' : TEXT_COLUMNS.has(column) ? 'TEXT' : 'INTEGER'}`).join(', ')}) STRICT;
      INSERT INTO requests_v16 SELECT ${V16_REQUEST_COLUMNS.map((column) =>
        column === 'request_id' || column === 'response_id' ? `(SELECT value FROM ${column}s q WHERE q.id = r.id)` : `r.${column}`,
      ).join(', ')} FROM requests r;
      DROP TABLE requests;
      ALTER TABLE requests_v16 RENAME TO requests;
      DROP TABLE request_ids;
      DROP TABLE response_ids;
    `);
    for (const sql of triggers) db.exec(sql);
    for (const column of ID_COLUMNS) db.exec(`CREATE INDEX requests_${column}_by_ms ON requests(id >> 10, ${column}) WHERE ${column} IS NOT NULL`);
  },
  // The logs keep their (newer) entries: the upgrade empties them whatever they hold.
  16: (db) => {
    for (const column of ID_COLUMNS) {
      db.exec(`
        DROP INDEX requests_${column}_by_ms;
        CREATE INDEX requests_${column}_by_time ON requests(id >> 30, ${column}) WHERE ${column} IS NOT NULL;
      `);
    }
  },
  15: (db) =>
    db.exec(`
      DROP INDEX rollup_project_total_hour_project;
      DROP INDEX rollup_host_total_hour_host;
      CREATE INDEX rollup_project_hour_project ON rollup_project_hour(project_id, bucket);
      CREATE INDEX rollup_host_hour_host ON rollup_host_hour(host_id, bucket);
    `),
  14: (db) =>
    db.exec(`
      CREATE INDEX rollup_hour_model ON rollup_hour(model_id, bucket);
      CREATE INDEX rollup_project_hour_model ON rollup_project_hour(model_id, bucket);
      CREATE INDEX rollup_host_hour_model ON rollup_host_hour(model_id, bucket);
    `),
  13: (db) =>
    db.exec(`
      DROP INDEX requests_response_id_by_time;
      DROP TABLE response_id_log;
      CREATE UNIQUE INDEX requests_response_id ON requests(response_id) WHERE response_id IS NOT NULL;
    `),
  12: (db) =>
    db.exec(`
      DROP INDEX requests_request_id_by_time;
      DROP TABLE request_id_log;
      CREATE UNIQUE INDEX requests_request_id ON requests(request_id) WHERE request_id IS NOT NULL;
    `),
  11: (db) => db.exec(`DROP TRIGGER catalogue_priced_delete; DROP TRIGGER catalogue_priced_update; DROP TABLE catalogue_priced;`),
  10: (db) => db.exec(`DROP TRIGGER runs_version_insert; DROP TRIGGER runs_version_delete; DROP TRIGGER runs_version_update; DROP TABLE runs_version;`),
  9: (db) => db.exec(`DROP TABLE rollup_day_versions; DROP TABLE rollup_hour_versions;`),
  // Hosts: no row of an older database came from another machine, so the columns and tables go whole.
  8: (db) =>
    db.exec(`
      DROP INDEX runs_host_origin;
      ALTER TABLE runs DROP COLUMN origin_id;
      ALTER TABLE runs DROP COLUMN host_id;
      ALTER TABLE requests DROP COLUMN host_id;
      DROP TABLE hosts;
      DROP TABLE rollup_host_minute; DROP TABLE rollup_host_hour; DROP TABLE rollup_host_day;
      DROP TABLE rollup_host_total_hour; DROP TABLE rollup_host_total_day;
    `),
  // sqlite_sequence (made by the outbox's AUTOINCREMENT) cannot be dropped; it is in both dumps.
  7: (db) => db.exec(`DROP TABLE forward_outbox;`),
  6: (db) => db.exec(`DROP TABLE webhook_deliveries; DROP TABLE budget_alerts; DROP TABLE budgets;`),
  5: (db) => db.exec(`DROP TABLE agent_cursors; DROP TABLE agent_stats;`),
  4: (db) => {
    db.exec(`
      DROP INDEX requests_response_id;
      ALTER TABLE requests DROP COLUMN project_id;
      ALTER TABLE requests DROP COLUMN branch_id;
      ALTER TABLE requests DROP COLUMN session_id;
      ALTER TABLE requests DROP COLUMN response_id;
      DROP TABLE projects;
      DROP TABLE branches;
    `);
    // The plain rollups are as version 1 made them (every request, no project); the project ones go.
    db.exec(`DROP TABLE rollup_project_minute; DROP TABLE rollup_project_hour; DROP TABLE rollup_project_day; DROP TABLE rollup_project_total_hour; DROP TABLE rollup_project_total_day;`);
  },
  3: (db) =>
    db.exec(`
      ALTER TABLE requests DROP COLUMN provider_id;
      ALTER TABLE requests DROP COLUMN cache_write_1h_tokens;
      ALTER TABLE requests DROP COLUMN price_source_id;
      DROP TABLE providers;
      DROP TABLE price_sources;
    `),
  2: (db) => db.exec(`DELETE FROM api_types WHERE id = 0`),
};

function undoTo(db: BetterSqlite3.Database, version: number): void {
  for (let step = SCHEMA_VERSION; step > version; step--) {
    const undo = UNDO[step];
    if (!undo) throw new Error(`no undo for schema step ${step}: add one to build older databases`);
    undo(db);
  }
  db.pragma(`user_version = ${version}`);
}

/** The requests table's new columns (version 3), all null on upgraded rows, and its new tables. */
const V3_COLUMNS = ['provider_id', 'cache_write_1h_tokens', 'price_source_id'];
const V3_TABLES = ['providers', 'price_sources'];

function withoutV3(dump: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(dump)) {
    if (V3_TABLES.includes(table)) {
      expect(rows, table).toEqual([]);
      continue;
    }
    if (table === 'requests') {
      out[table] = rows.map((json) => {
        const row = JSON.parse(json) as Record<string, unknown>;
        for (const column of V3_COLUMNS) {
          expect(row[column], column).toBeNull();
          delete row[column];
        }
        return JSON.stringify(row);
      });
    } else if (table === '(schema)') {
      // The requests table's definition grew by the three columns; the rest must be as it was.
      out[table] = rows.filter((json) => {
        const row = JSON.parse(json) as { name: string };
        return !V3_TABLES.includes(row.name) && !V3_TABLES.some((t) => row.name.startsWith(`sqlite_autoindex_${t}`)) && row.name !== 'requests';
      });
    } else {
      out[table] = rows;
    }
  }
  return out;
}

/** Version 4: the requests table's attribution columns (null on upgraded rows), new tables (empty after an upgrade), plain rollups untouched. */
const V4_COLUMNS = ['project_id', 'branch_id', 'session_id', 'response_id'];
const V4_TABLES = ['projects', 'branches', 'rollup_project_minute', 'rollup_project_hour', 'rollup_project_day', 'rollup_project_total_hour', 'rollup_project_total_day'];
/** Schema entries version 4 added. */
const V4_SCHEMA = [...V4_TABLES, 'rollup_project_hour_project', 'rollup_project_hour_model', 'requests_response_id', 'requests'];

function withoutV4(dump: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(dump)) {
    if (V4_TABLES.includes(table)) {
      expect(rows, table).toEqual([]);
      continue;
    }
    const strip = (columns: string[], expected: unknown) => (json: string) => {
      const row = JSON.parse(json) as Record<string, unknown>;
      for (const column of columns) {
        expect(row[column], column).toBe(expected);
        delete row[column];
      }
      return JSON.stringify(row);
    };
    if (table === 'requests') out[table] = rows.map(strip(V4_COLUMNS, null));
    else if (table === '(schema)') out[table] = withoutV4Schema(rows);
    else out[table] = rows;
  }
  return out;
}

function withoutV4Schema(rows: string[]): string[] {
  return rows.filter((json) => {
    const name = (JSON.parse(json) as { name: string }).name;
    return !V4_SCHEMA.includes(name) && !V4_TABLES.some((t) => name.startsWith(`sqlite_autoindex_${t}`));
  });
}

/**
 * Without the tables a later version added (each must be empty after an upgrade) and their schema
 * entries: the tables, their automatic indexes and the named `indexes`.
 */
function withoutNewTables(dump: Record<string, string[]>, tables: string[], indexes: string[] = []): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(dump)) {
    if (tables.includes(table)) {
      expect(rows, table).toEqual([]);
      continue;
    }
    out[table] =
      table === '(schema)'
        ? rows.filter((json) => {
            const { name } = JSON.parse(json) as { name: string };
            return !tables.includes(name) && !indexes.includes(name) && !tables.some((t) => name.startsWith(`sqlite_autoindex_${t}`));
          })
        : rows;
  }
  return out;
}

/** Version 5: the agent-log cursor and count tables, empty after an upgrade. */
const withoutV5 = (dump: Record<string, string[]>) => withoutNewTables(dump, ['agent_cursors', 'agent_stats']);

/** Version 6: the budget tables, empty after an upgrade, with their indexes. */
/** Version 7: the forwarding outbox, empty after an upgrade (forwarding starts off). */
const withoutV7 = (dump: Record<string, string[]>) => withoutNewTables(dump, ['forward_outbox'], ['forward_outbox_ref']);

/** catalogue_priced as a scan of the requests gives it: per model and source, the count and the newest id. */
function cataloguePricedByScan(db: BetterSqlite3.Database): { model_id: number; price_source_id: number; requests: number; latest_id: number }[] {
  return db
    .prepare<[], { model_id: number; price_source_id: number; requests: number; latest_id: number }>(
      `SELECT model_id, price_source_id, count(*) AS requests, max(id) AS latest_id FROM requests WHERE price_source_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all();
}

function cataloguePriced(db: BetterSqlite3.Database): { model_id: number; price_source_id: number; requests: number; latest_id: number }[] {
  return db.prepare<[], { model_id: number; price_source_id: number; requests: number; latest_id: number }>(`SELECT * FROM catalogue_priced ORDER BY 1, 2`).all();
}

/**
 * Version 17: the ids in tables of their own, keyed by their request's id; at version 16 they were in
 * the requests' rows (each row's keys in that table's column order), indexed by millisecond.
 */
function withoutV17(dump: Record<string, string[]>): Record<string, string[]> {
  const { request_ids: requestIds, response_ids: responseIds, ...out } = dump;
  const valuesOf = (rows: string[] | undefined) => new Map((rows ?? []).map((json) => Object.values(JSON.parse(json) as { id: number; value: string }) as [number, string]));
  const ids = { request_id: valuesOf(requestIds), response_id: valuesOf(responseIds) };
  out['requests'] = dump['requests']!.map((json) => {
    const row = JSON.parse(json) as Record<string, unknown>;
    const id = row['id'] as number;
    return JSON.stringify(Object.fromEntries(V16_REQUEST_COLUMNS.map((column) => [column, column in ids ? (ids[column as keyof typeof ids].get(id) ?? null) : row[column]])));
  }).sort();
  const byMs = ID_COLUMNS.map((column) =>
    JSON.stringify({ type: 'index', name: `requests_${column}_by_ms`, sql: `CREATE INDEX requests_${column}_by_ms ON requests(id >> 10, ${column}) WHERE ${column} IS NOT NULL` }),
  );
  const added = ['request_ids', 'response_ids', 'request_ids_delete'];
  out['(schema)'] = [...dump['(schema)']!.filter((json) => !added.includes((JSON.parse(json) as { name: string }).name)), ...byMs].sort();
  return out;
}

/**
 * Version 16: the ids indexed by millisecond in place of ~17.5 minutes (`id >> 30`), and the logs
 * emptied, as an older database (from version 12 or 13 on, which made them) had them.
 */
function withoutV16(dump: Record<string, string[]>, before: Record<string, string[]>): Record<string, string[]> {
  const out = { ...dump };
  const schema = out['(schema)']!.filter((json) => !ID_COLUMNS.some((column) => (JSON.parse(json) as { name: string }).name === `requests_${column}_by_ms`));
  for (const column of ID_COLUMNS) {
    const byMs = dump['(schema)']!.find((json) => (JSON.parse(json) as { name: string }).name === `requests_${column}_by_ms`);
    expect(JSON.parse(byMs!)).toEqual({
      type: 'index',
      name: `requests_${column}_by_ms`,
      sql: `CREATE INDEX requests_${column}_by_ms ON requests(id >> 10, ${column}) WHERE ${column} IS NOT NULL`,
    });
    const log = `${column}_log`;
    if (before[log] === undefined) continue;
    expect(dump[log], log).toEqual([]);
    out[log] = before[log]!;
    schema.push(before['(schema)']!.find((json) => (JSON.parse(json) as { name: string }).name === `requests_${column}_by_time`)!);
  }
  out['(schema)'] = schema.sort();
  return out;
}

/**
 * Versions 12 and 13 (whichever came after `version`): the request-id and response-id logs (empty after
 * an upgrade), and the indexes of those ids by time in place of the unique ones (the response-id one
 * from version 4 on: before it the column did not exist).
 */
function withoutIdIndexes(dump: Record<string, string[]>, version: number): Record<string, string[]> {
  const columns = [...(version < 13 ? [{ column: 'response_id', since: 4 }] : []), ...(version < 12 ? [{ column: 'request_id', since: 1 }] : [])];
  const uniques = columns
    .filter(({ since }) => version >= since)
    .map(({ column }) => ({ name: `requests_${column}`, sql: `CREATE UNIQUE INDEX requests_${column} ON requests(${column}) WHERE ${column} IS NOT NULL` }));
  const out = withoutNewTables(
    dump,
    columns.map(({ column }) => `${column}_log`),
    columns.map(({ column }) => `requests_${column}_by_time`),
  );
  const rows = [...out['(schema)']!, ...uniques.map(({ name, sql }) => JSON.stringify({ type: 'index', name, sql }))];
  const order = (json: string) => {
    const { type, name } = JSON.parse(json) as { type: string; name: string };
    return `${type}\u0000${name}`;
  };
  out['(schema)'] = rows.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return out;
}

/** Version 11: catalogue_priced, filled from the requests by the upgrade, and its triggers. */
function withoutV11(dump: Record<string, string[]>): Record<string, string[]> {
  return withoutNewTables({ ...dump, catalogue_priced: [] }, ['catalogue_priced'], ['catalogue_priced_delete', 'catalogue_priced_update']);
}

/** Version 10: the runs version (1 after an upgrade) and the triggers that raise it. */
function withoutV10(dump: Record<string, string[]>): Record<string, string[]> {
  expect(dump['runs_version']).toEqual([JSON.stringify({ id: 1, version: 1 })]);
  return withoutNewTables({ ...dump, runs_version: [] }, ['runs_version'], ['runs_version_insert', 'runs_version_delete', 'runs_version_update']);
}

/** Version 9: the hour and day versions, one per bucket of the plain rollups (all 1) after an upgrade. */
function withoutV9(dump: Record<string, string[]>): Record<string, string[]> {
  const tables = ['rollup_hour_versions', 'rollup_day_versions'];
  for (const grain of ['hour', 'day']) {
    const buckets = [...new Set(dump[`rollup_${grain}`]!.map((json) => (JSON.parse(json) as { bucket: number }).bucket))].sort((a, b) => a - b);
    const versions = dump[`rollup_${grain}_versions`]!.map((json) => JSON.parse(json) as { bucket: number; version: number });
    expect(versions.map((row) => row.bucket).sort((a, b) => a - b), grain).toEqual(buckets);
    expect(new Set(versions.map((row) => row.version))).toEqual(new Set([1]));
  }
  const emptied = { ...dump };
  for (const table of tables) emptied[table] = [];
  return withoutNewTables(emptied, tables);
}

/**
 * Version 8: the hosts and host rollup tables (empty after an upgrade), the runs' host and origin
 * columns and the requests' host column (null on every upgraded row: all of them are this machine's).
 */
function withoutV8(dump: Record<string, string[]>): Record<string, string[]> {
  const HOST_TABLES = ['hosts', 'rollup_host_minute', 'rollup_host_hour', 'rollup_host_day', 'rollup_host_total_hour', 'rollup_host_total_day'];
  const out = withoutNewTables(dump, HOST_TABLES, ['runs_host_origin', 'rollup_host_hour_host', 'rollup_host_hour_model']);
  const strip = (table: string, columns: string[]) => {
    out[table] = out[table]!.map((json) => {
      const row = JSON.parse(json) as Record<string, unknown>;
      for (const column of columns) {
        expect(row[column], `${table}.${column}`).toBeNull();
        delete row[column];
      }
      return JSON.stringify(row);
    });
  };
  strip('requests', ['host_id']);
  strip('runs', ['host_id', 'origin_id']);
  // The runs table's definition grew by the two columns (the requests table's is compared by its rows).
  out['(schema)'] = out['(schema)']!.filter((json) => (JSON.parse(json) as { name: string }).name !== 'runs');
  return out;
}

/** The hourly rollups' indexes versions 14 and 15 dropped (an older database has those of the tables it had), and those 15 made. */
const HOUR_INDEXES_BEFORE_15 = ['rollup_project_hour_project', 'rollup_host_hour_host'];
const HOUR_INDEXES_BEFORE_14 = ['rollup_hour_model', 'rollup_project_hour_model', 'rollup_host_hour_model', ...HOUR_INDEXES_BEFORE_15];
const HOUR_INDEXES_SINCE_15 = ['rollup_project_total_hour_project', 'rollup_host_total_hour_host'];

const withoutV6 = (dump: Record<string, string[]>) => withoutNewTables(dump, ['budgets', 'budget_alerts', 'webhook_deliveries'], ['webhook_deliveries_due']);

describe('a database from each earlier schema version', () => {
  it('exists for this build to upgrade (the list below is not empty)', () => {
    expect(earlier.map((step) => step.version)).toContain(1);
  });

  for (const step of earlier) {
    for (const crashed of [false, true]) {
      it(`upgrades from version ${step.version} ${crashed ? 'left with an unmerged WAL by a crash' : 'closed cleanly'}: every row kept, every answer the same`, async () => {
        const live = path.join(dir, 'live.db');
        const file = path.join(dir, 'ledger.db');
        const db = new BetterSqlite3(live);
        db.pragma('journal_mode = WAL');
        if (crashed) db.pragma('wal_autocheckpoint = 0');
        expect(migrate(db)).toEqual(MIGRATIONS.map((s) => s.version));
        const now = { value: START };
        const ctx = await fill(db, now);
        const answered = answers(ctx);
        // Kept by the writer and the triggers through the fill's writes, retention and re-pricing: the
        // counts a scan gives; a newest id at least the scan's (a re-pricing does not take one back).
        const kept = cataloguePriced(db);
        const scan = cataloguePricedByScan(db);
        expect(kept.map(({ latest_id: _, ...pair }) => pair)).toEqual(scan.map(({ latest_id: _, ...pair }) => pair));
        kept.forEach((row, i) => expect(row.latest_id).toBeGreaterThanOrEqual(scan[i]!.latest_id));
        undoTo(db, step.version);
        const before = dumpAll(db);
        expect(db.pragma('user_version', { simple: true })).toBe(step.version);
        if (step.version < 3) expect(before['(schema)']!.join('\n')).not.toContain('provider_id');
        if (step.version < 4) expect(before['(schema)']!.join('\n')).not.toContain('project_id');
        expect(before['requests']!.length).toBeGreaterThan(1_000);
        for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day', 'runs', 'program_runs', 'circuit_states', 'circuit_events', 'price_versions', 'settings', 'meta', 'channels']) {
          expect(before[table]!.length, table).toBeGreaterThan(0);
        }
        if (crashed) {
          // What a kill -9 leaves: the main file and a WAL holding the latest commits.
          fs.copyFileSync(live, file);
          fs.copyFileSync(`${live}-wal`, `${file}-wal`);
          expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
          db.close();
        } else {
          db.close();
          fs.renameSync(live, file);
        }

        const ledger = Ledger.open(file, { now: () => NOW });
        try {
          expect(ledger.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
          expect(ledger.db.pragma('integrity_check', { simple: true })).toBe('ok');
          // Filled by the upgrade as a scan gives it (nothing catalogue-priced before version 3).
          // (From version 11 on it is the one the writers kept, as checked before the upgrade.)
          const scanned = cataloguePricedByScan(ledger.db);
          if (step.version < 11) expect(cataloguePriced(ledger.db)).toEqual(scanned);
          else expect(cataloguePriced(ledger.db)).toEqual(kept);
          expect(scanned.length > 0).toBe(step.version >= 3);
          const idTables = withoutV17(dumpAll(ledger.db));
          const idless = withoutIdIndexes(step.version < 16 ? withoutV16(idTables, before) : idTables, step.version);
          const runless = step.version < 11 ? withoutV11(idless) : idless;
          const versionless = step.version < 10 ? withoutV10(runless) : runless;
          const dayless = step.version < 9 ? withoutV9(versionless) : versionless;
          const hostless = step.version < 8 ? withoutV8(dayless) : dayless;
          const all = step.version < 7 ? withoutV7(hostless) : hostless;
          const newest = step.version < 6 ? withoutV6(all) : all;
          const current = step.version < 5 ? withoutV5(newest) : newest;
          const upgraded = step.version < 4 ? withoutV4(current) : current;
          const after = step.version < 3 ? withoutV3(upgraded) : upgraded;
          // The requests table's definition grows with added columns whatever the step; its rows are compared.
          // So does the runs table's at version 8 (its text after an ALTER differs from a fresh CREATE's).
          before['(schema)'] = before['(schema)']!.filter((json) => !['requests', 'runs'].includes((JSON.parse(json) as { name: string }).name));
          after['(schema)'] = after['(schema)']!.filter((json) => !['requests', 'runs'].includes((JSON.parse(json) as { name: string }).name));
          if (step.version < 4) before['(schema)'] = withoutV4Schema(before['(schema)']);
          // Versions 14 and 15 moved the hourly rollups' indexes (an older version had those of its tables).
          const name = (json: string) => (JSON.parse(json) as { name: string }).name;
          const movedBefore = step.version < 14 ? HOUR_INDEXES_BEFORE_14 : step.version < 15 ? HOUR_INDEXES_BEFORE_15 : [];
          const had = (json: string) => movedBefore.includes(name(json));
          expect(before['(schema)'].filter(had).length).toBe(step.version < 4 ? 1 : step.version < 8 ? movedBefore.length - 2 : movedBefore.length);
          expect(after['(schema)'].filter((json) => HOUR_INDEXES_BEFORE_14.includes(name(json)))).toEqual([]);
          // (Made with the tables even when they are new to this database.)
          const totals = (json: string) => HOUR_INDEXES_SINCE_15.includes(name(json));
          expect(after['(schema)'].filter(totals).length).toBe(2);
          before['(schema)'] = before['(schema)'].filter((json) => !had(json) && !totals(json));
          after['(schema)'] = after['(schema)'].filter((json) => !totals(json));
          // What the later steps add, and nothing else: version 2 adds api type 0.
          const added = step.version < 2 ? [JSON.stringify({ id: 0, name: '' })] : [];
          expect(after['api_types']).toEqual([...before['api_types']!, ...added].sort());
          const { api_types: _a, ...restAfter } = after;
          const { api_types: _b, ...restBefore } = before;
          expect(restAfter).toEqual(restBefore);

          // The service answers exactly what the old store answered.
          expect(answers(ledger.ctx)).toEqual(answered);
          const service = new LedgerService(ledger);
          const summary = await service.getSummary({ from: START - DAY, to: NOW });
          expect({ ...summary, converted: undefined }).toEqual({ ...answered.summary, converted: undefined });
          expect(summary.totals.requests).toBe(3_000);

          // And it takes new data, including what only the newer schema allows.
          const result = await service.ingestRequests([{ model: 'gpt-5-mini', ts: NOW - MINUTE, channel: '00000000000000aa', inputTokens: 1, provider: 'openai', cacheWriteTokens: 2, cacheWrite1hTokens: 1 }]);
          expect(result).toEqual({ accepted: 1, duplicates: 0 });
          // A request id the older version stored is still never stored twice.
          const stored = ledger.db.prepare<[], { request_id: string; id: number }>(`SELECT value AS request_id, id FROM request_ids LIMIT 1`).get()!;
          const again = await service.ingestRequests([{ model: 'gpt-5-mini', ts: Math.floor(stored.id / 1024) + DAY, inputTokens: 1, requestId: stored.request_id }]);
          expect(again).toEqual({ accepted: 0, duplicates: 1 });
          // And a response id it stored is still one request (the column exists from version 4 on).
          if (step.version >= 4) {
            const answered = ledger.db.prepare<[], { response_id: string; id: number }>(`SELECT value AS response_id, id FROM response_ids LIMIT 1`).get()!;
            const copy = await service.ingestRequests([{ model: 'gpt-5-mini', ts: Math.floor(answered.id / 1024) + DAY, inputTokens: 1, responseId: answered.response_id }]);
            expect(copy).toEqual({ accepted: 0, duplicates: 1 });
          }
        } finally {
          ledger.close();
        }
      });
    }
  }
});

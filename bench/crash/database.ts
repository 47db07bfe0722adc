import BetterSqlite3 from 'better-sqlite3';
import { emptyTotals, type Snapshot, type Totals } from './snapshot.js';

/** electron/ledger/store/request-ids.ts: id = ts * 1024 + seq. */
const SEQ_PER_MS = 1024;

export interface DatabaseReport {
  snapshot: Snapshot;
  integrity: string;
  /** Rows of `PRAGMA foreign_key_check` (the schema declares references; the app does not enforce them). */
  foreignKeyProblems: number;
  raw: Totals;
  rollups: { minute: Totals; hour: Totals; day: Totals };
}

interface RequestJoin {
  id: number;
  request_id: string | null;
  model: string;
  source: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  success: number;
  cost_nanos: number | null;
  currency: string | null;
}

interface SumRow {
  requests: number | null;
  failures: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
}

function toTotals(row: SumRow | undefined, costs: { code: string | null; nanos: number | null }[]): Totals {
  const totals = emptyTotals();
  if (row) {
    totals.requests = row.requests ?? 0;
    totals.failures = row.failures ?? 0;
    totals.inputTokens = row.input_tokens ?? 0;
    totals.outputTokens = row.output_tokens ?? 0;
    totals.cacheReadTokens = row.cache_read_tokens ?? 0;
    totals.cacheWriteTokens = row.cache_write_tokens ?? 0;
  }
  for (const { code, nanos } of costs) if (code !== null && nanos !== null && nanos !== 0) totals.cost[code] = (totals.cost[code] ?? 0) + nanos;
  return totals;
}

/**
 * The exact check after the final clean stop: the database file opened read-only, every row read
 * straight from the tables, rollups summed at each grain.
 */
export function readDatabase(file: string): DatabaseReport {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
    const foreignKeyProblems = (db.pragma('foreign_key_check') as unknown[]).length;
    const rows = db
      .prepare<[], RequestJoin>(
        `SELECT r.id, q.value AS request_id, m.name AS model, s.name AS source, r.input_tokens, r.output_tokens, r.cache_read_tokens,
                r.cache_write_tokens, r.success, r.cost_nanos, c.code AS currency
           FROM requests r JOIN models m ON m.id = r.model_id
           LEFT JOIN request_ids q ON q.id = r.id
           LEFT JOIN sources s ON s.id = r.source_id
           LEFT JOIN currencies c ON c.id = r.currency_id`,
      )
      .all();
    const runs = db
      .prepare<[], { id: number; model: string; source: string | null; start_at: number; end_at: number | null; last_seen_at: number }>(
        `SELECT r.id, m.name AS model, s.name AS source, r.start_at, r.end_at, r.last_seen_at
           FROM runs r JOIN models m ON m.id = r.model_id LEFT JOIN sources s ON s.id = r.source_id`,
      )
      .all();
    const programRuns = db.prepare<[], { id: number; start_at: number; end_at: number | null }>(`SELECT id, start_at, end_at FROM program_runs ORDER BY start_at, id`).all();
    const rawSums = db
      .prepare<[], SumRow>(
        `SELECT count(*) AS requests, sum(success = 0) AS failures, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens FROM requests`,
      )
      .get();
    const rawCosts = db
      .prepare<[], { code: string | null; nanos: number | null }>(
        `SELECT c.code AS code, sum(r.cost_nanos) AS nanos FROM requests r LEFT JOIN currencies c ON c.id = r.currency_id GROUP BY r.currency_id`,
      )
      .all();
    const rollup = (table: string): Totals =>
      toTotals(
        db
          .prepare<[], SumRow>(
            `SELECT sum(requests) AS requests, sum(failures) AS failures, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                    sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens FROM ${table}`,
          )
          .get(),
        db
          .prepare<[], { code: string | null; nanos: number | null }>(
            `SELECT c.code AS code, sum(t.cost_nanos) AS nanos FROM ${table} t LEFT JOIN currencies c ON c.id = t.currency_id GROUP BY t.currency_id`,
          )
          .all(),
      );
    return {
      snapshot: {
        requests: rows.map((row) => ({
          requestId: row.request_id,
          model: row.model,
          ts: Math.floor(row.id / SEQ_PER_MS),
          inputTokens: row.input_tokens,
          outputTokens: row.output_tokens,
          cacheReadTokens: row.cache_read_tokens,
          cacheWriteTokens: row.cache_write_tokens,
          success: row.success !== 0,
          source: row.source,
          costNanos: row.cost_nanos,
          currency: row.cost_nanos === null ? null : row.currency,
        })),
        runs: runs.map((run) => ({ id: run.id, model: run.model, source: run.source, start: run.start_at, end: run.end_at, lastSeenAt: run.last_seen_at })),
        programRuns: programRuns.map((run) => ({ id: run.id, start: run.start_at, end: run.end_at })),
      },
      integrity,
      foreignKeyProblems,
      raw: toTotals(rawSums, rawCosts),
      rollups: { minute: rollup('rollup_minute'), hour: rollup('rollup_hour'), day: rollup('rollup_day') },
    };
  } finally {
    db.close();
  }
}

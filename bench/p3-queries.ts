import http from 'node:http';
import BetterSqlite3 from 'better-sqlite3';
import { machineCalendar, type DayCalendar } from '../electron/ledger/time/day-calendar.js';
import { mergePieces, planPieces, type Piece } from '../electron/ledger/store/usage-plan.js';
import { DAY_MS, HOUR_MS, PROJECTS, Prng } from './dataset.js';
import type { Dataset } from './build-dataset.js';
import { HEADLESS_TOKEN, spawnHeadless, stopHeadless, waitHealthy } from './headless.js';
import { fmtInt, fmtMs, log, percentile, shortCount, type Figure, type Measured } from './util.js';

export interface P3Options {
  iterations: number;
  seed: number;
}

/** Issue 18: a read over HTTP takes at most this multiple of (hand-written SQL + /healthz round trip). */
export const P3_RATIO_TARGET = 2;

/** A time range ending at the varied "now". */
export interface Window {
  from: number;
  to: number;
}

// ---------------------------------------------------------------------------------------------------
// The reference: hand-written SQL over the rollup rows the product reads, on a read-only connection.

const SUMS = 'sum(requests), sum(failures), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_nanos), sum(latency_ms_sum), sum(latency_count)';
const RAW_SUMS = 'count(*), sum(success = 0), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_nanos), sum(latency_ms), count(latency_ms)';
/** A dimension's per-value totals by grain (the minute grain has none: its full-key table). */
const totalsOf = (name: string): Record<string, string> => ({ rollup_day: `rollup_${name}_total_day`, rollup_hour: `rollup_${name}_total_hour`, rollup_minute: `rollup_${name}_minute` });

/**
 * Which rows answer a range is the product's plan (whole local days from day rollups, whole hours,
 * minutes, raw rows at the edges, from the coverage stored in meta); the SQL below is written by hand:
 * one GROUP BY per piece, summed in a Map, no pricing, no names, no JSON.
 */
export class SqlReference {
  private readonly db: BetterSqlite3.Database;
  private readonly calendar: DayCalendar = machineCalendar();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private coverage = { minuteFrom: 0, rawFrom: 0 };

  /** The summary splits by these (projects; hosts once the store keeps them): whichever tables exist. */
  private readonly dimensions: { name: string; column: string; totals: Record<string, string> }[];

  constructor(file: string) {
    this.db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    this.dimensions = ['project', 'host']
      .filter((name) => this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(`rollup_${name}_total_day`) !== undefined)
      .map((name) => ({ name, column: `${name}_id`, totals: totalsOf(name) }));
  }

  describe(): string {
    return `plain rollups${this.dimensions.map((d) => ` + ${d.name} totals`).join('')}`;
  }

  close(): void {
    this.db.close();
  }

  /** The product's housekeeping may trim minute rollups while the server runs: read where they start. */
  refreshCoverage(): void {
    const value = (key: string) => Number((this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? 0);
    this.coverage = { minuteFrom: value('minute_rollups_from'), rawFrom: value('raw_requests_from') };
  }

  private pieces(window: Window): Piece[] {
    return mergePieces(planPieces(window.from, window.to, this.coverage, this.calendar));
  }

  private rows(sql: string, params: unknown[]): number[][] {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql).raw(true)));
    return statement.all(...params) as number[][];
  }

  /** key columns (SQL) for rollups and for raw rows; the piece's rows grouped by them. */
  private piece(piece: Piece, keys: string, rawKeys: string, table: (source: string) => string, rawWhere = ''): number[][] {
    if (piece.source === 'requests') {
      return this.rows(`SELECT ${rawKeys}, ${RAW_SUMS} FROM requests WHERE id >= ? AND id < ?${rawWhere} GROUP BY ${rawKeys}`, [piece.from * 1024, piece.to * 1024]);
    }
    return this.rows(`SELECT ${keys}, ${SUMS} FROM ${table(piece.source)} WHERE bucket >= ? AND bucket < ? GROUP BY ${keys}`, [piece.from, piece.to]);
  }

  /**
   * Summary: sums per model and currency (keys `m<model>|<currency>`), and per project (and host) and
   * currency (`project<id>|<currency>`...); each value is the 9 sums (requests, failures, tokens...).
   */
  summary(window: Window): Map<string, number[]> {
    const cells = new Map<string, number[]>();
    // A piece with sign -1 (the rest of an hour read whole for an edge) is taken out.
    let sign = 1;
    const add = (key: string, row: number[], from: number) => {
      let sums = cells.get(key);
      if (!sums) cells.set(key, (sums = new Array<number>(row.length - from).fill(0)));
      for (let i = from; i < row.length; i++) sums[i - from]! += sign * (row[i] ?? 0);
    };
    for (const piece of this.pieces(window)) {
      sign = piece.sign ?? 1;
      for (const row of this.piece(piece, 'model_id, currency_id', 'model_id, coalesce(currency_id, 0)', (source) => source)) add(`m${row[0]}|${row[1]}`, row, 2);
      for (const { name, column, totals } of this.dimensions) {
        for (const row of this.piece(piece, `${column}, currency_id`, `${column}, coalesce(currency_id, 0)`, (source) => totals[source]!, ` AND ${column} IS NOT NULL`)) {
          add(`${name}${row[0]}|${row[1]}`, row, 2);
        }
      }
    }
    return cells;
  }

  /** History by model in local-day buckets (what "auto" picks for 30 days), keyed `<day>|<model>|<currency>`. */
  historyByDay(window: Window): Map<string, number[]> {
    const cells = new Map<string, number[]>();
    const pieces: Piece[] = [];
    for (let start = this.calendar.dayStart(window.from); start < window.to; start = this.calendar.nextDay(start)) {
      pieces.push(...planPieces(Math.max(start, window.from), Math.min(this.calendar.nextDay(start), window.to), this.coverage, this.calendar));
    }
    for (const piece of mergePieces(pieces)) {
      // Day rows carry their own day; every finer piece counts in the day it lies in, or where `at` says
      // (an hour read whole for an edge, and the rest of the hour taken out: sign -1).
      const day = this.calendar.dayStart(piece.at ?? piece.from);
      const sign = piece.sign ?? 1;
      const rows =
        piece.source === 'rollup_day'
          ? this.rows(`SELECT bucket, model_id, currency_id, ${SUMS} FROM rollup_day WHERE bucket >= ? AND bucket < ? GROUP BY bucket, model_id, currency_id`, [piece.from, piece.to])
          : this.piece(piece, `${day}, model_id, currency_id`, `${day}, model_id, coalesce(currency_id, 0)`, (source) => source);
      for (const row of rows) {
        const key = `${row[0]}|${row[1]}|${row[2]}`;
        let sums = cells.get(key);
        if (!sums) cells.set(key, (sums = new Array<number>(row.length - 3).fill(0)));
        for (let i = 3; i < row.length; i++) sums[i - 3]! += sign * (row[i] ?? 0);
      }
    }
    return cells;
  }
}

// ---------------------------------------------------------------------------------------------------
// The product over HTTP: the built headless server (what `npm run serve` runs), a keep-alive client.

function get(agent: http.Agent, port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${HEADLESS_TOKEN}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) reject(new Error(`GET ${path} answered ${response.statusCode}: ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text));
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

interface QueryCase {
  id: string;
  what: string;
  /** The absolute p95 target (ms) on the developers' machine. */
  target: number;
  window(now: number, calendar: DayCalendar): Window;
  path(window: Window): string;
  /** Its hand-written SQL, for the cases issue 18 compares. */
  sql?: (reference: SqlReference, window: Window) => Map<string, number[]>;
  size(answer: unknown): string;
}

const last30Days = (now: number): Window => ({ from: now - 30 * DAY_MS, to: now });
const range = (window: Window) => `from=${window.from}&to=${window.to}`;
const requestRows = (answer: unknown) => `${(answer as { requests: unknown[] }).requests.length} rows`;
const modelRows = (answer: unknown) => `${(answer as { models: unknown[] }).models.length} model rows`;
const buckets = (answer: unknown) => {
  const history = answer as { interval: number; buckets: unknown[] };
  return `${fmtInt(history.buckets.length)} rows, buckets of ${history.interval / 3600} h`;
};

const CASES: QueryCase[] = [
  { id: 'P3a', what: 'summary, last 30 days', target: 10, window: last30Days, path: (w) => `/api/v1/summary?${range(w)}`, sql: (r, w) => r.summary(w), size: modelRows },
  {
    id: 'P3b',
    what: 'history, last 30 days by model',
    target: 25,
    window: last30Days,
    path: (w) => `/api/v1/history?${range(w)}&groupBy=model`,
    sql: (r, w) => r.historyByDay(w),
    size: buckets,
  },
  {
    id: 'P3c',
    what: 'summary, today',
    target: 5,
    window: (now, calendar) => ({ from: calendar.dayStart(now), to: now }),
    path: (w) => `/api/v1/summary?${range(w)}`,
    sql: (r, w) => r.summary(w),
    size: modelRows,
  },
  {
    id: 'P3d',
    what: 'summary, last 30 days, one project',
    target: 10,
    window: last30Days,
    path: (w) => `/api/v1/summary?${range(w)}&project=${encodeURIComponent(PROJECTS[0]!)}`,
    size: (answer) => `${fmtInt((answer as { totals: { requests: number } }).totals.requests)} requests`,
  },
  { id: 'P3e', what: 'history, last 30 days by project', target: 25, window: last30Days, path: (w) => `/api/v1/history?${range(w)}&groupBy=project`, size: buckets },
  // Ours, not issue 18's: the Pricing, Data, model and Budgets views all ask for the price list; both
  // scanned every request on the main thread (~1.1 s at 10M, the server stalled) before round 10.
  {
    id: 'P3f',
    what: 'price list with each model\'s catalogue source (Pricing view)',
    target: 10,
    window: last30Days,
    path: () => '/api/v1/pricing',
    size: (answer) => `${(answer as unknown[]).length} models`,
  },
  {
    id: 'P3g',
    what: 'catalogue status with requests per catalogue version',
    target: 10,
    window: last30Days,
    path: () => '/api/v1/catalogue/status',
    size: (answer) => `${fmtInt((answer as { pricedBy: { requests: number }[] }).pricedBy.reduce((sum, entry) => sum + entry.requests, 0))} catalogue-priced requests`,
  },
  // Ours: the Requests view's filters. A pair that never occurs walked all 10M rows (~0.55 s) before
  // round 17; the log now asks the hourly rollups which hours hold the whole filter (request-log.ts).
  {
    id: 'P3i',
    what: 'request log, a page, model and api type that never occur together',
    target: 10,
    window: last30Days,
    path: (w) => `/api/v1/requests?${range(w)}&model=o3&apiType=gemini`,
    size: requestRows,
  },
  {
    id: 'P3j',
    what: 'request log, a page, one project and one model',
    target: 10,
    window: last30Days,
    path: (w) => `/api/v1/requests?${range(w)}&project=${encodeURIComponent(PROJECTS[0]!)}&model=gpt-5`,
    size: requestRows,
  },
];

/** The reads of a dashboard's Overview, which it repeats every second with "now" moved on. */
const REFRESH: { what: string; path: (now: number) => string }[] = [
  { what: 'summary 24 h', path: (now) => `/api/v1/summary?from=${now - DAY_MS}&to=${now}` },
  { what: 'summary 7 d', path: (now) => `/api/v1/summary?from=${now - 7 * DAY_MS}&to=${now}` },
  { what: 'summary 30 d', path: (now) => `/api/v1/summary?from=${now - 30 * DAY_MS}&to=${now}` },
  { what: 'history 24 h by model', path: (now) => `/api/v1/history?from=${now - DAY_MS}&to=${now}&groupBy=model` },
  { what: 'history 30 d by model', path: (now) => `/api/v1/history?from=${now - 30 * DAY_MS}&to=${now}&groupBy=model` },
];

/**
 * P3h (ours): those reads one after another, once a second of "now" for `iterations` seconds from just
 * after the data's last request, as an open dashboard asks for them (over the same keep-alive client).
 * Unlike P3a-c, whose random "now" gives every read new edges, each read here finds the edges of the
 * previous second: what reads keep between calls (rollup-versions.ts, sliding-edges.ts) shows here.
 */
async function refreshFigure(port: number, agent: http.Agent, endTs: number, iterations: number): Promise<Figure> {
  const perCall = REFRESH.map(() => [] as number[]);
  const totals: number[] = [];
  const warmup = 5;
  for (let i = 0; i < warmup + iterations; i++) {
    const now = endTs + 5_000 + i * 1_000;
    let total = 0;
    for (const [c, call] of REFRESH.entries()) {
      const t = performance.now();
      await get(agent, port, call.path(now));
      const ms = performance.now() - t;
      total += ms;
      if (i >= warmup) perCall[c]!.push(ms);
    }
    if (i >= warmup) totals.push(total);
  }
  const p95 = percentile(totals, 95);
  log(`P3h: a dashboard's Overview reads, now moving 1 s a refresh: p50 ${fmtMs(percentile(totals, 50))}, p95 ${fmtMs(p95)}`);
  return {
    id: 'P3h',
    what: "a dashboard's Overview reads in turn, now moving 1 s a refresh, over HTTP, p95 (ms)",
    value: p95,
    unit: 'ms',
    target: null,
    better: 'lower',
    notes: [
      `${REFRESH.length} reads one after another, ${iterations} refreshes: p50 ${fmtMs(percentile(totals, 50))}, p95 ${fmtMs(p95)}; per read, p50: ${REFRESH.map((call, c) => `${call.what} ${fmtMs(percentile(perCall[c]!, 50))}`).join(', ')}`,
    ],
  };
}

/** P3k's dashboards: tabs and clients a change refreshes at the same moment. */
const CROWD = 16;
const CROWD_ROUNDS = 20;

/**
 * P3k (ours): CROWD dashboards refreshing the Overview at the same moment (the same "now"), each over
 * its own keep-alive connection, as dashboards in several browser tabs do when one change reaches them
 * all: the time one dashboard waits for its five reads, and the reads answered per second.
 */
async function crowdFigure(port: number, endTs: number): Promise<Figure> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CROWD });
  const waits: number[] = [];
  let busyMs = 0;
  const warmup = 2;
  try {
    for (let i = 0; i < warmup + CROWD_ROUNDS; i++) {
      const now = endTs + 5_000 + i * 1_000;
      const started = performance.now();
      const each = await Promise.all(
        Array.from({ length: CROWD }, async () => {
          const t = performance.now();
          for (const call of REFRESH) await get(agent, port, call.path(now));
          return performance.now() - t;
        }),
      );
      if (i < warmup) continue;
      waits.push(...each);
      busyMs += performance.now() - started;
    }
  } finally {
    agent.destroy();
  }
  const p95 = percentile(waits, 95);
  const readsPerSecond = (CROWD * REFRESH.length * CROWD_ROUNDS) / (busyMs / 1000);
  log(`P3k: ${CROWD} dashboards refreshing at once: one dashboard's refresh p50 ${fmtMs(percentile(waits, 50))}, p95 ${fmtMs(p95)}; ${fmtInt(readsPerSecond)} reads/s`);
  return {
    id: 'P3k',
    what: `${CROWD} dashboards refreshing the Overview at the same moment, one's refresh over HTTP, p95 (ms)`,
    value: p95,
    unit: 'ms',
    target: null,
    better: 'lower',
    notes: [
      `${CROWD} keep-alive clients, each asking the ${REFRESH.length} reads of P3h in turn with the same "now", ${CROWD_ROUNDS} refreshes: one dashboard's refresh p50 ${fmtMs(percentile(waits, 50))}, p95 ${fmtMs(p95)}, max ${fmtMs(Math.max(...waits))}; ${fmtInt(readsPerSecond)} reads answered per second`,
    ],
  };
}

/**
 * P3: the dashboard's main reads as the dashboard gets them: over HTTP from the built headless server
 * on (a copy of) the benchmark database, keep-alive, the JSON parsed. Each repetition moves "now" to
 * a different point in the last hours of the data (explicit from/to: the dataset's lead-in keeps the
 * 30-day window inside the data), so every read has different edges and nothing comes from a cache.
 * Interleaved with each read, in the same process: the hand-written SQL over the same rollup rows,
 * and a GET /healthz (the HTTP stack's own round trip). The limit is SQL + /healthz, at the median.
 */
export async function runP3(dataset: Dataset, options: P3Options): Promise<Measured> {
  const spread = dataset.marker.leadHours * HOUR_MS;
  const rng = new Prng(options.seed ^ 0x3333);
  const calendar = machineCalendar();
  const server = await spawnHeadless(dataset.dir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const reference = new SqlReference(dataset.file);
  const out: Measured = { figures: [], ratios: [] };
  try {
    const startMs = await waitHealthy(server, 5);
    log(`P3: headless server up in ${fmtMs(startMs)} on ${dataset.file}`);
    for (const query of CASES) {
      const httpMs: number[] = [];
      const sqlMs: number[] = [];
      const healthMs: number[] = [];
      let size = '';
      let cells = 0;
      const warmup = 10;
      for (let i = 0; i < warmup + options.iterations; i++) {
        const window = query.window(dataset.marker.endTs - rng.int(spread), calendar);
        reference.refreshCoverage();
        let t = performance.now();
        const answer = await get(agent, server.port, query.path(window));
        const httpTime = performance.now() - t;
        let sqlTime = Number.NaN;
        if (query.sql) {
          t = performance.now();
          cells = query.sql(reference, window).size;
          sqlTime = performance.now() - t;
        }
        t = performance.now();
        await get(agent, server.port, '/healthz');
        const healthTime = performance.now() - t;
        if (i < warmup) continue;
        if (i === warmup) size = query.size(answer);
        httpMs.push(httpTime);
        healthMs.push(healthTime);
        if (query.sql) sqlMs.push(sqlTime);
      }
      const p50 = percentile(httpMs, 50);
      const p95 = percentile(httpMs, 95);
      const notes = [
        `over HTTP, ${options.iterations} runs, "now" varied over the last ${dataset.marker.leadHours} h of the data: p50 ${fmtMs(p50)}, p95 ${fmtMs(p95)}, p99 ${fmtMs(percentile(httpMs, 99))}, max ${fmtMs(Math.max(...httpMs))}; answer: ${size}`,
      ];
      const figure: Figure = { id: query.id, what: `${query.what}, over HTTP, p95 (ms)`, value: p95, unit: 'ms', target: query.target, better: 'lower', notes };
      if (query.sql) {
        const sqlP50 = percentile(sqlMs, 50);
        const sqlP95 = percentile(sqlMs, 95);
        const healthP50 = percentile(healthMs, 50);
        const healthP95 = percentile(healthMs, 95);
        notes.push(
          `limit in the same run: hand-written SQL (${reference.describe()}) p50 ${fmtMs(sqlP50)} p95 ${fmtMs(sqlP95)} (${fmtInt(cells)} cells) + GET /healthz p50 ${fmtMs(healthP50)} p95 ${fmtMs(healthP95)}; at p95 the ratio is ${(p95 / (sqlP95 + healthP95)).toFixed(2)}x`,
        );
        // Medians: on a shared machine a p95 of a few hundred samples is mostly other processes' noise,
        // and the ratio must hold from machine to machine; the p95 stays in the absolute figures.
        out.ratios.push({
          id: query.id,
          what: `${query.what} over HTTP (p50) vs SQL + /healthz (p50)`,
          figure: p50,
          limit: sqlP50 + healthP50,
          limitWhat: 'hand-written SQL over the same rollup rows + HTTP round trip of /healthz',
          unit: 'ms',
          kind: 'ratio',
          target: P3_RATIO_TARGET,
          better: 'lower',
        });
      }
      log(`${query.id}: ${query.what}: HTTP p50 ${fmtMs(p50)}, p95 ${fmtMs(p95)}${query.sql ? `; SQL p95 ${fmtMs(percentile(sqlMs, 95))}, /healthz p95 ${fmtMs(percentile(healthMs, 95))}` : ''}`);
      out.figures.push(figure);
    }
    out.figures.push(await refreshFigure(server.port, agent, dataset.marker.endTs, options.iterations));
    out.figures.push(await crowdFigure(server.port, dataset.marker.endTs));
    out.figures[0]?.notes?.push(`database: ${shortCount(dataset.marker.records)} requests with projects and hosts (a copy; the server's housekeeping runs on it)`);
  } finally {
    reference.close();
    agent.destroy();
    await stopHeadless(server);
  }
  return out;
}

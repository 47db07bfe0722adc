import type { RequestPage, Run, ProgramRun, Summary } from '../../shared/types.js';
import { callJson } from './http.js';

/** What the server has stored, the same shape whether read over the API or from the database file. */
export interface StoredRequest {
  requestId: string | null;
  model: string;
  ts: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  success: boolean;
  source: string | null;
  /** Integer nanos of `currency`; null when unpriced. */
  costNanos: number | null;
  currency: string | null;
}

export interface StoredRun {
  id: number;
  model: string;
  source: string | null;
  start: number;
  end: number | null;
  lastSeenAt: number;
}

export interface StoredProgramRun {
  id: number;
  start: number;
  end: number | null;
}

export interface Totals {
  requests: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Nanos per currency. */
  cost: Record<string, number>;
}

export interface Snapshot {
  requests: StoredRequest[];
  runs: StoredRun[];
  programRuns: StoredProgramRun[];
}

const DAY_MS = 86_400_000;

export function emptyTotals(): Totals {
  return { requests: 0, failures: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: {} };
}

export function totalsOf(rows: readonly StoredRequest[]): Totals {
  const totals = emptyTotals();
  for (const row of rows) {
    totals.requests++;
    if (!row.success) totals.failures++;
    totals.inputTokens += row.inputTokens;
    totals.outputTokens += row.outputTokens;
    totals.cacheReadTokens += row.cacheReadTokens;
    totals.cacheWriteTokens += row.cacheWriteTokens;
    if (row.costNanos !== null && row.currency !== null) totals.cost[row.currency] = (totals.cost[row.currency] ?? 0) + row.costNanos;
  }
  return totals;
}

/** Money from the API is in the currency's main unit; the store keeps integer nanos. */
export function toNanos(amount: number): number {
  return Math.round(amount * 1e9);
}

/** Differences between two totals, as readable lines; empty when they agree. */
export function compareTotals(what: string, actual: Totals, expected: Totals): string[] {
  const out: string[] = [];
  for (const key of ['requests', 'failures', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
    if (actual[key] !== expected[key]) out.push(`${what}: ${key} ${actual[key]} != ${expected[key]} from the raw rows`);
  }
  for (const currency of new Set([...Object.keys(actual.cost), ...Object.keys(expected.cost)])) {
    const a = actual.cost[currency] ?? 0;
    const e = expected.cost[currency] ?? 0;
    // The API's amounts are floats of the main unit: allow the rounding of one conversion per request.
    if (Math.abs(a - e) > Math.max(2, expected.requests)) out.push(`${what}: cost ${currency} ${a} != ${e} nanos from the raw rows`);
  }
  return out;
}

/** Every stored request over the API, newest first, page by page. */
export async function fetchRequests(port: number): Promise<StoredRequest[]> {
  const to = Date.now() + DAY_MS;
  const out: StoredRequest[] = [];
  let before: string | null = null;
  for (;;) {
    const query: string = `/api/v1/requests?limit=5000&from=0&to=${to}${before === null ? '' : `&before=${before}`}`;
    const page: RequestPage = await callJson<RequestPage>(port, { method: 'GET', path: query });
    for (const row of page.requests) {
      out.push({
        requestId: row.requestId,
        model: row.model,
        ts: row.ts,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        cacheReadTokens: row.cacheReadTokens,
        cacheWriteTokens: row.cacheWriteTokens,
        success: row.success,
        source: row.source,
        costNanos: row.cost === null ? null : toNanos(row.cost),
        currency: row.currency,
      });
    }
    if (page.nextBefore === null) return out;
    before = page.nextBefore;
  }
}

export async function fetchSummaryTotals(port: number): Promise<Totals> {
  const summary = await callJson<Summary>(port, { method: 'GET', path: `/api/v1/summary?from=0&to=${Date.now() + DAY_MS}` });
  const cost: Record<string, number> = {};
  for (const [currency, amount] of Object.entries(summary.totals.cost)) cost[currency] = toNanos(amount);
  const { requests, failures, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = summary.totals;
  return { requests, failures, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, cost };
}

export async function fetchSnapshot(port: number): Promise<Snapshot> {
  const [requests, runs, programRuns] = await Promise.all([
    fetchRequests(port),
    callJson<Run[]>(port, { method: 'GET', path: '/api/v1/runs?limit=10000' }),
    callJson<ProgramRun[]>(port, { method: 'GET', path: '/api/v1/program-runs?limit=10000' }),
  ]);
  return {
    requests,
    runs: runs.map((run) => ({ id: run.id, model: run.model, source: run.source, start: run.start, end: run.end, lastSeenAt: run.lastSeenAt })),
    programRuns: programRuns.map((run) => ({ id: run.id, start: run.start, end: run.end })).sort((a, b) => a.start - b.start || a.id - b.id),
  };
}

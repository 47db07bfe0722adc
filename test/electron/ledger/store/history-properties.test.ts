import { addDays, startOfDay } from 'date-fns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import { LOCAL_HOST, MAX_BUCKETS } from '../../../../shared/schemas/queries.js';
import type { FailureClass, RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import type { History, Summary, UsageTotals } from '../../../../shared/types.js';
import { useTimeZone } from '../time/tz.js';
import { Harness } from './harness.js';

/**
 * History against summary (product.md section 1, "Aggregation" and "Time"): for random records over
 * spans from minutes to days, prices set before and after the records arrive, raw rows expired or
 * not, and random ranges and intervals, the buckets add up to the summary of the same range, per
 * model too, and sit where product.md says. Fixed seed for `npm test`; FC_SEED / FC_RUNS explore
 * further, and a failure prints its seed and shrunk counterexample.
 */
const SEED = Number(process.env['FC_SEED'] ?? 5_003);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const MODELS = ['alpha', 'beta', 'gamma', 'hourly-box', '模型-ü'];
const CHANNELS = ['0123456789abcdef', 'fedcba9876543210', undefined];
const API_TYPES = ['openai', 'anthropic', undefined];
const PROJECTS = ['/home/me/src/app', 'C:\\work\\api', 'scratch', undefined];
// Machines that forwarded a record (as records carry them); undefined is this machine.
const HOSTS = ['gpu-box', 'lab', undefined, undefined];
const FAILURES: FailureClass[] = ['retryable', 'overloaded', 'quota'];
// Around the end and the start of summer time in Europe, and an ordinary day.
const ANCHORS = [Date.UTC(2024, 9, 26, 21, 30), Date.UTC(2024, 2, 30, 22, 45), Date.UTC(2024, 5, 12, 23, 59, 59, 500)];
const SPANS = [10 * MINUTE, 3 * HOUR, 26 * HOUR, 5 * DAY];
const INTERVALS: (number | 'auto')[] = ['auto', 'auto', 60, 90, 300, 900, 2700, 3600, 5400, 7200, 21_600, 86_400, 129_600, 172_800, 7];

interface Scenario {
  start: number;
  span: number;
  records: (RequestRecordInput & { ts: number })[];
  runs: { model: string; start: number; length: number | null }[];
  /** Prices given after the records arrived, re-pricing their window. */
  late: boolean;
  priceAfterCut: boolean;
  /** How long after the last record "now" is; past two days minute rollups can be trimmed. */
  after: number;
  /** Where raw rows are cut (a fraction of the span), or null for none. */
  cut: number | null;
  trimMinutes: boolean;
  queries: { a: number; length: number; interval: number | 'auto' }[];
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    anchor: fc.constantFrom(...ANCHORS),
    offset: fc.integer({ min: -DAY, max: DAY }),
    span: fc.constantFrom(...SPANS),
  })
  .chain(({ anchor, offset, span }) => {
    const start = anchor + offset;
    const tokens = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 300_000 }));
    const record = fc
      .record({
        at: fc.oneof(
          fc.integer({ min: 0, max: span - 1 }),
          // On and just around minute and hour edges.
          fc.tuple(fc.integer({ min: 0, max: Math.floor(span / MINUTE) }), fc.integer({ min: -1, max: 1 })).map(([m, d]) => Math.min(span - 1, Math.max(0, m * MINUTE + d))),
        ),
        model: fc.constantFrom(...MODELS),
        inputTokens: tokens,
        outputTokens: tokens,
        cacheReadTokens: tokens,
        cacheWriteTokens: fc.oneof(fc.constant(0), tokens),
        success: fc.boolean(),
        failure: fc.constantFrom(...FAILURES),
        channel: fc.constantFrom(...CHANNELS),
        apiType: fc.constantFrom(...API_TYPES),
        project: fc.constantFrom(...PROJECTS),
        host: fc.constantFrom(...HOSTS),
      })
      .map(({ at, failure, channel, apiType, project, host, ...rest }): RequestRecordInput & { ts: number } => ({
        ...rest,
        ts: start + at,
        ...(project === undefined ? {} : { project, branch: 'main' }),
        ...(host === undefined ? {} : { host }),
        ...(rest.success ? {} : { failureClass: failure }),
        ...(channel === undefined ? {} : { channel }),
        ...(apiType === undefined ? {} : { apiType }),
      }));
    const run = fc.record({
      model: fc.constantFrom('hourly-box', 'alpha'),
      start: fc.integer({ min: -HOUR, max: span }).map((at) => start + at),
      length: fc.option(fc.integer({ min: 1, max: span }), { nil: null }),
    });
    return fc.record({
      start: fc.constant(start),
      span: fc.constant(span),
      records: fc.array(record, { minLength: 1, maxLength: 300, size: 'large' }),
      runs: fc.array(run, { maxLength: 3 }),
      late: fc.boolean(),
      priceAfterCut: fc.boolean(),
      after: fc.oneof(fc.integer({ min: 0, max: HOUR }), fc.integer({ min: 2 * DAY, max: 4 * DAY })),
      // Fractions as integers: fc.double favours extremes (0, 1e-323) far too much here.
      cut: fc.option(fc.integer({ min: 0, max: 1_050 }).map((permille) => permille / 1_000), { nil: null, freq: 2 }),
      trimMinutes: fc.boolean(),
      queries: fc.array(
        fc.record({
          a: fc.integer({ min: -200, max: 1_100 }).map((permille) => permille / 1_000),
          length: fc.oneof(fc.integer({ min: 0, max: 1_300 }).map((permille) => Math.floor((permille / 1_000) * (span + HOUR))), fc.integer({ min: 1, max: 20 * MINUTE })),
          interval: fc.constantFrom(...INTERVALS),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    });
  });

/** Prices with sub-nano amounts per token, tiers, two currencies, a free model and an unpriced one. */
async function setPrices(h: Harness, effectiveFrom: number | undefined): Promise<void> {
  const from = effectiveFrom === undefined ? {} : { effectiveFrom };
  await h.service.addPriceVersion({
    model: 'alpha',
    version: { method: 'tokens', currency: 'USD', ...from, tiers: [{ maxPromptTokens: 200_000, input: 1.25, output: 10, cacheRead: 0.125 }, { maxPromptTokens: null, input: 2.5, output: 15, cacheRead: 0.25, cacheWrite: 3.125 }] },
  });
  await h.service.addPriceVersion({ model: 'beta', version: { method: 'tokens', currency: 'CNY', ...from, tiers: [{ maxPromptTokens: null, input: 0.0375, output: 0.1234567, cacheWrite: 0.0000004 }] } });
  await h.service.addPriceVersion({ model: '模型-ü', version: { method: 'none', ...from } });
  // Hourly cost is rounded once per bucket (electron/ledger/store/runtime.ts): its own currency, checked within rounding.
  await h.service.addPriceVersion({ model: 'hourly-box', version: { method: 'hourly', currency: 'EUR', ...from, hourly: 1.2345678 } });
  // gamma stays unpriced.
}

async function build(h: Harness, s: Scenario): Promise<void> {
  if (!s.late) await setPrices(h, undefined);
  const sorted = [...s.records].sort((a, b) => a.ts - b.ts);
  for (let i = 0; i < sorted.length; i += 60) await h.service.ingestRequests(sorted.slice(i, i + 60));
  for (const run of s.runs) {
    await h.service.reportRun({ model: run.model, event: 'start', ts: run.start, source: `src-${run.start}` });
    if (run.length !== null) await h.service.reportRun({ model: run.model, event: 'stop', ts: run.start + run.length, source: `src-${run.start}` });
  }
  // Late prices apply from before the first record: every stored request is re-priced, before or
  // after raw rows are cut.
  if (s.late && !s.priceAfterCut) await setPrices(h, s.start - HOUR);
  if (s.cut !== null) {
    let before = Math.min(h.now, s.start + Math.floor(s.cut * s.span));
    // Re-pricing after a cut inside an hour leaves minute rollups and raw rows a nano apart (known
    // bug A below); retention cuts on the hour, as here.
    if (s.late && s.priceAfterCut) before = Math.floor(before / HOUR) * HOUR;
    await h.service.cleanup({ before });
  }
  if (s.late && s.priceAfterCut) await setPrices(h, s.start - HOUR);
  // Where local midnight falls inside an hour, expired hours at midnight are miscounted (known bug B below).
  if (s.trimMinutes && startOfDay(s.start).getTime() % HOUR === 0) h.ledger.maintenance.trimMinuteRollups(h.now);
}

type Field = 'requests' | 'failures' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'unpricedRequests';
const FIELDS: Field[] = ['requests', 'failures', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'unpricedRequests'];

/** The figures of many buckets added up: counts exactly, money in nanos, runtime in ms. */
function add(rows: readonly UsageTotals[]): Record<string, number> {
  // Grouped history has no rows at all for a range with no model in it: all zero, like the summary.
  const out: Record<string, number> = { runtimeMs: 0, ...Object.fromEntries(FIELDS.map((field) => [field, 0])) };
  const plus = (key: string, value: number) => (out[key] = (out[key] ?? 0) + value);
  for (const row of rows) {
    for (const field of FIELDS) plus(field, row[field]);
    plus('runtimeMs', Math.round(row.runtimeSeconds * 1000));
    for (const [currency, amount] of Object.entries(row.cost)) plus(`cost ${currency}`, Math.round(amount * 1e9));
  }
  // A currency whose sum is zero may be present on one side only.
  for (const key of Object.keys(out)) if (key.startsWith('cost ') && out[key] === 0) delete out[key];
  return out;
}

/**
 * Equal figures, hourly money (EUR) within one nano per rounding: the summary rounds it once per
 * price version, history once per bucket.
 */
function expectSameFigures(buckets: Record<string, number>, summary: Record<string, number>, roundings: number, label: string): void {
  const { ['cost EUR']: bucketEur = 0, ...bucketRest } = buckets;
  const { ['cost EUR']: summaryEur = 0, ...summaryRest } = summary;
  expect(bucketRest, label).toEqual(summaryRest);
  expect(Math.abs(bucketEur - summaryEur), `${label} EUR`).toBeLessThanOrEqual(Math.ceil(roundings / 2) + 1);
}

function expectAligned(history: History, from: number, to: number): void {
  const starts = history.buckets.map((bucket) => bucket.ts).filter((ts, i, all) => i === 0 || all[i - 1] !== ts);
  expect(starts.length).toBeGreaterThan(0);
  expect(starts[0]!).toBeLessThanOrEqual(from);
  expect(starts[starts.length - 1]!).toBeLessThan(to);
  const seconds = history.interval;
  if (seconds % 86_400 === 0) {
    // Whole days start at local midnight, so a DST day is 23 or 25 hours long.
    for (const ts of starts) expect(startOfDay(ts).getTime()).toBe(ts);
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBe(addDays(starts[i - 1]!, seconds / 86_400).getTime());
    expect(addDays(starts[0]!, seconds / 86_400).getTime()).toBeGreaterThan(from);
    expect(addDays(starts[starts.length - 1]!, seconds / 86_400).getTime()).toBeGreaterThanOrEqual(to);
  } else {
    // Shorter widths are multiples of the width since the epoch.
    const width = seconds * 1000;
    for (const ts of starts) expect(ts % width).toBe(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(width);
    expect(starts[0]! + width).toBeGreaterThan(from);
    expect(starts[starts.length - 1]! + width).toBeGreaterThanOrEqual(to);
  }
}

async function check(h: Harness, s: Scenario, exact: boolean): Promise<void> {
  for (const q of s.queries) {
    const from = s.start + Math.floor(q.a * s.span);
    const to = from + Math.max(1, q.length);
    const label = JSON.stringify({ from, to, interval: q.interval });
    let history: History;
    let byModel: History;
    try {
      history = await h.service.getHistory({ from, to, interval: q.interval });
      byModel = await h.service.getHistory({ from, to, interval: q.interval, groupBy: 'model' });
    } catch (error) {
      // Only a range too fine for its interval is refused, and with its own code.
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code, label).toBe('too_many_buckets');
      expect((to - from) / (Number(q.interval) * 1000)).toBeGreaterThan(MAX_BUCKETS - 2);
      continue;
    }
    const summary = await h.service.getSummary({ from, to });
    const buckets = new Set(history.buckets.map((b) => b.ts)).size;
    expect(history.buckets.length).toBe(buckets);
    expectAligned(history, from, to);
    expect(byModel.interval).toBe(history.interval);

    expectSameFigures(add(history.buckets), add([summary.totals]), buckets + 4, `totals ${label}`);
    // A minute (an hour, where minute rollups are trimmed) is raw or rolled up as a whole
    // (electron/ledger/store/usage-plan.ts): from the first whole one after the cut, raw rows are read.
    const coverage = h.ledger.ctx.coverage;
    const grain = from < coverage.minuteFrom ? HOUR : MINUTE;
    if (from >= Math.ceil(coverage.rawFrom / grain) * grain) {
      // Where every raw row is still kept, the summary is the request log's rows added up, money included.
      const rows = (await h.service.listRequests({ from, to, limit: 5_000 })).requests;
      const fromRows = add(rows.map((r) => ({ ...r, requests: 1, failures: r.success ? 0 : 1, unpricedRequests: r.currency === null ? 1 : 0, runtimeSeconds: 0, cost: r.currency === null ? {} : { [r.currency]: r.cost! } })));
      // Runtime and its hourly money (EUR) are not in the request log.
      const { runtimeMs: _runtime, ['cost EUR']: _hourly, ...figures } = add([summary.totals]);
      const { runtimeMs: _none, ...logged } = fromRows;
      expect(figures, `summary against the request log ${label}`).toEqual(logged);
    }
    if (exact) {
      // Nothing expired: each bucket holds exactly the records from its start to the next one's.
      const starts = history.buckets.map((b) => b.ts);
      const expected = starts.map(() => ({ requests: 0, failures: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }));
      for (const r of s.records) {
        if (r.ts < from || r.ts >= to) continue;
        let i = starts.length - 1;
        while (starts[i]! > r.ts) i--;
        const e = expected[i]!;
        e.requests++;
        if (r.success === false) e.failures++;
        e.inputTokens += r.inputTokens ?? 0;
        e.outputTokens += r.outputTokens ?? 0;
        e.cacheReadTokens += r.cacheReadTokens ?? 0;
        e.cacheWriteTokens += r.cacheWriteTokens ?? 0;
      }
      expect(
        history.buckets.map((b) => ({ requests: b.requests, failures: b.failures, inputTokens: b.inputTokens, outputTokens: b.outputTokens, cacheReadTokens: b.cacheReadTokens, cacheWriteTokens: b.cacheWriteTokens })),
        `buckets ${label}`,
      ).toEqual(expected);
    }
    expectSameFigures(add(byModel.buckets), add([summary.totals]), buckets + 4, `by model ${label}`);
    const models = new Set(byModel.buckets.map((b) => b.model!));
    for (const row of summary.models) {
      const mine = byModel.buckets.filter((bucket) => bucket.model === row.model);
      // A model with nothing in the range (say, only running) may have no history row at all.
      if (mine.length === 0) {
        expect(add([{ ...row, cost: row.cost ?? {} }]), `${row.model} ${label}`).toEqual(add([]));
        continue;
      }
      const figures = add([{ ...row, cost: row.cost ?? {} }]);
      expectSameFigures(add(mine), figures, buckets + 4, `${row.model} ${label}`);
      models.delete(row.model);
    }
    // Every grouped row belongs to a model of the summary (or is all zero).
    for (const model of models) expect(add(byModel.buckets.filter((b) => b.model === model)), model).toEqual(add([]));
    await checkProjects(h, s, { from, to, interval: q.interval }, summary, buckets, exact, label);
    await checkHosts(h, s, { from, to, interval: q.interval }, summary, buckets, exact, label);
    await checkChannels(h, s, { from, to, interval: q.interval }, history, buckets, exact, label);
  }
}

/** Requests only: runs (runtime and its hourly EUR) belong to no project. */
function requestFigures(rows: readonly Omit<UsageTotals, 'runtimeSeconds'>[]): Record<string, number> {
  const { runtimeMs: _runtime, ['cost EUR']: _hourly, ...rest } = add(rows.map((row) => ({ ...row, runtimeSeconds: 0 })));
  return rest;
}

/**
 * The project dimension (issue 15): history grouped by project, the summary's byProject and the
 * summary filtered by a project all read the rollups; they must equal each other, the request log
 * filtered by that project where raw rows are kept, and the records themselves where nothing expired.
 */
async function checkProjects(
  h: Harness,
  s: Scenario,
  query: { from: number; to: number; interval: number | 'auto' },
  summary: Summary,
  buckets: number,
  exact: boolean,
  label: string,
): Promise<void> {
  const byProject = await h.service.getHistory({ ...query, groupBy: 'project' });
  const entries = summary.byProject ?? [];
  expect(requestFigures(entries), `byProject adds up to the totals ${label}`).toEqual(requestFigures([summary.totals]));
  const coverage = h.ledger.ctx.coverage;
  const grain = query.from < coverage.minuteFrom ? HOUR : MINUTE;
  const rawKept = query.from >= Math.ceil(coverage.rawFrom / grain) * grain;
  for (const project of PROJECTS) {
    const path = project ?? null;
    const entry = entries.find((e) => e.project === path);
    const expected = entry ? requestFigures([entry]) : requestFigures([]);
    expectSameFigures(requestFigures(byProject.buckets.filter((b) => b.project === path)), expected, buckets + 4, `history of ${path} ${label}`);
    if (entry) expect(entry.name, label).toBe(path === null ? '' : path.split(/[\\/]/).pop());
    if (project === undefined) continue;
    const filtered = await h.service.getSummary({ from: query.from, to: query.to, project });
    expect(requestFigures([filtered.totals]), `summary filtered by ${project} ${label}`).toEqual(expected);
    expect(filtered.totals.runtimeSeconds).toBe(0);
    if (rawKept) {
      const rows = (await h.service.listRequests({ from: query.from, to: query.to, project, limit: 5_000 })).requests;
      expect(rows.every((r) => r.project === project && r.branch === 'main'), label).toBe(true);
      const fromRows = requestFigures(rows.map((r) => ({ ...r, requests: 1, failures: r.success ? 0 : 1, unpricedRequests: r.currency === null ? 1 : 0, cost: r.currency === null ? {} : { [r.currency]: r.cost! } })));
      expect(fromRows, `request log of ${project} ${label}`).toEqual(expected);
    }
    if (exact) {
      const mine = s.records.filter((r) => r.project === project && r.ts >= query.from && r.ts < query.to);
      expect(entry?.requests ?? 0, `records of ${project} ${label}`).toBe(mine.length);
      expect(entry?.inputTokens ?? 0).toBe(mine.reduce((sum, r) => sum + (r.inputTokens ?? 0), 0));
    }
  }
}

/**
 * The host dimension (issue 17), checked as projects are: history grouped by host, the summary's
 * byHost and the summary filtered by a host (LOCAL_HOST for this machine) agree, and equal the
 * records where nothing expired. Runs are all this machine's here, so requests are compared.
 */
async function checkHosts(
  h: Harness,
  s: Scenario,
  query: { from: number; to: number; interval: number | 'auto' },
  summary: Summary,
  buckets: number,
  exact: boolean,
  label: string,
): Promise<void> {
  if (!s.records.some((r) => r.host !== undefined)) {
    expect(summary.byHost, label).toBeUndefined();
    return;
  }
  const entries = summary.byHost ?? [];
  expect(requestFigures(entries), `byHost adds up to the totals ${label}`).toEqual(requestFigures([summary.totals]));
  const byHost = await h.service.getHistory({ ...query, groupBy: 'host' });
  for (const host of HOSTS.slice(0, 3)) {
    const name = host ?? null;
    const entry = entries.find((e) => e.host === name);
    const expected = entry ? requestFigures([entry]) : requestFigures([]);
    expectSameFigures(requestFigures(byHost.buckets.filter((b) => b.host === name)), expected, buckets + 4, `history of host ${name} ${label}`);
    const filtered = await h.service.getSummary({ from: query.from, to: query.to, host: host ?? LOCAL_HOST });
    expect(requestFigures([filtered.totals]), `summary filtered by host ${name} ${label}`).toEqual(expected);
    if (exact) {
      const mine = s.records.filter((r) => r.host === host && r.ts >= query.from && r.ts < query.to);
      expect(entry?.requests ?? 0, `records of host ${name} ${label}`).toBe(mine.length);
    }
  }
}

/**
 * The channel split (one call gives the Channels view every channel's rate): history grouped by
 * channel has a row per channel at every start, adds up to the unsplit history with its runtime (runs
 * go through no channel: the null row), and each channel's rows equal the history filtered by its
 * metricsKey (and API type); where nothing expired, the null row is the records sent through none.
 */
async function checkChannels(
  h: Harness,
  s: Scenario,
  query: { from: number; to: number; interval: number | 'auto' },
  history: History,
  buckets: number,
  exact: boolean,
  label: string,
): Promise<void> {
  const byChannel = await h.service.getHistory({ ...query, groupBy: 'channel' });
  expectSameFigures(add(byChannel.buckets), add(history.buckets), buckets + 4, `by channel ${label}`);
  const rows = new Map<string, typeof byChannel.buckets>();
  for (const bucket of byChannel.buckets) {
    expect('metricsKey' in bucket && 'apiType' in bucket, label).toBe(true);
    if (bucket.metricsKey === null) expect(bucket.apiType, label).toBeNull();
    const key = `${bucket.metricsKey}|${bucket.apiType}`;
    rows.set(key, [...(rows.get(key) ?? []), bucket]);
  }
  for (const row of rows.values()) expect(row.map((bucket) => bucket.ts), label).toEqual([...new Set(history.buckets.map((bucket) => bucket.ts))]);
  for (const metricsKey of CHANNELS) {
    if (metricsKey === undefined) continue;
    const mine = byChannel.buckets.filter((bucket) => bucket.metricsKey === metricsKey);
    const filtered = await h.service.getHistory({ ...query, metricsKey });
    expectSameFigures(add(mine), add(filtered.buckets), buckets + 4, `channel ${metricsKey} ${label}`);
    for (const apiType of API_TYPES) {
      if (apiType === undefined) continue;
      const typed = await h.service.getHistory({ ...query, metricsKey, apiType });
      expectSameFigures(add(mine.filter((bucket) => bucket.apiType === apiType)), add(typed.buckets), buckets + 4, `channel ${metricsKey} ${apiType} ${label}`);
    }
  }
  if (exact) {
    const none = s.records.filter((r) => r.channel === undefined && r.ts >= query.from && r.ts < query.to);
    const nullRow = byChannel.buckets.filter((bucket) => bucket.metricsKey === null);
    expect(nullRow.reduce((sum, bucket) => sum + bucket.requests, 0), `records through no channel ${label}`).toBe(none.length);
  }
  // With a project filter the same split reads that project's rollups, and still adds up.
  const project = PROJECTS[0]!;
  const ofProject = await h.service.getHistory({ ...query, project });
  const split = await h.service.getHistory({ ...query, project, groupBy: 'channel' });
  expectSameFigures(add(split.buckets), add(ofProject.buckets), buckets + 4, `by channel in ${project} ${label}`);
}

function property(seed: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(scenario, async (s) => {
      const last = Math.max(...s.records.map((r) => r.ts));
      const h = new Harness(Math.max(last, ...s.runs.map((r) => r.start + (r.length ?? 0))) + 1 + s.after);
      try {
        await build(h, s);
        await check(h, s, s.cut === null && h.ledger.ctx.coverage.minuteFrom === 0);
        if (s.cut === null && !s.trimMinutes) {
          // Nothing expired: the summary of the whole span is the records themselves.
          const all = await h.service.getSummary({ from: s.start, to: s.start + s.span });
          for (const field of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
            expect(all.totals[field]).toBe(s.records.reduce((sum, r) => sum + (r[field] ?? 0), 0));
          }
          expect(all.totals.requests).toBe(s.records.length);
          expect(all.totals.failures).toBe(s.records.filter((r) => r.success === false).length);
        }
      } finally {
        h.close();
      }
    }),
    { ...runs(20), seed },
  );
}


['Europe/Berlin', 'Asia/Kolkata', 'UTC'].forEach((zone, i) => {
  describe(`history buckets against the summary (${zone})`, () => {
    useTimeZone(zone);
    it('add up to the summary totals and per-model rows, aligned as product.md says, for any range and interval', () => property(SEED + i), 120_000);
  });
});

/**
 * Known bugs the properties above found (shrunk counterexamples, reduced by hand). `it.fails` passes
 * while the bug is there: when one is fixed, its test fails here; turn it into a plain `it` then, and
 * drop the matching restriction in build().
 */
describe('known bug A: re-pricing after a manual cleanup inside an hour', () => {
  useTimeZone('UTC');
  it.fails('keeps the summary of a minute whose raw rows are kept equal to those rows (the request log)', async () => {
    const H = Date.UTC(2024, 5, 1, 10, 0);
    const m = H + 10 * MINUTE;
    const h = new Harness(H + 2 * HOUR);
    try {
      // 37.5 nanos a token: each request costs 38 nanos, the three of them 113 when priced as a sum.
      await h.service.ingestRequests([10, 20, 30].map((s) => ({ ts: m + s * 1_000, model: 'beta', inputTokens: 1 })));
      await h.service.cleanup({ before: H + 5_000 });
      await h.service.addPriceVersion({ model: 'beta', version: { method: 'tokens', currency: 'CNY', effectiveFrom: H - HOUR, tiers: [{ maxPromptTokens: null, input: 0.0375, output: 1 }] } });
      const rows = (await h.service.listRequests({ from: m, to: m + MINUTE })).requests;
      expect(rows.map((r) => Math.round(r.cost! * 1e9))).toEqual([38, 38, 38]);
      const summary = await h.service.getSummary({ from: m, to: m + MINUTE });
      expect(Math.round(summary.totals.cost['CNY']! * 1e9)).toBe(114);
    } finally {
      h.close();
    }
  });
});

describe('known bug B: expired hours that local midnight cuts in two (Asia/Kolkata, UTC+5:30)', () => {
  useTimeZone('Asia/Kolkata');
  it.fails('counts each request of such an hour once in a summary bounded by that midnight', async () => {
    const H = Date.UTC(2024, 5, 12, 18, 0); // local midnight is at 18:30 UTC
    const h = new Harness(H + 10 * DAY);
    try {
      // One request on each side of local midnight, in the same UTC hour.
      await h.service.ingestRequests([
        { ts: H + 10 * MINUTE, model: 'm', inputTokens: 1 },
        { ts: H + 40 * MINUTE, model: 'm', inputTokens: 1 },
      ]);
      await h.service.cleanup({ before: H + 2 * HOUR });
      h.ledger.maintenance.trimMinuteRollups(h.now);
      const midnight = H + 30 * MINUTE;
      // A whole local day after midnight, an hour-grain edge before it: the first request is lost.
      const after = await h.service.getSummary({ from: H - 2 * HOUR + 17 * MINUTE, to: midnight + DAY });
      // A whole local day before midnight, an edge after it: the first request is counted twice.
      const before = await h.service.getSummary({ from: midnight - DAY, to: H + 45 * MINUTE });
      expect([after.totals.requests, before.totals.requests]).toEqual([2, 2]);
    } finally {
      h.close();
    }
  });
});

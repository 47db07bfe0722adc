import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFilter } from '../../../../electron/ledger/store/request-log.js';
import { firstIdAt } from '../../../../electron/ledger/store/request-ids.js';
import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE } from '../../../../electron/ledger/time/ranges.js';
import { channelIdsOf, hostIdOf } from '../../../../electron/ledger/reads/read-queries.js';
import { LOCAL_HOST } from '../../../../shared/local-host.js';
import type { RequestsQuery } from '../../../../shared/schemas/queries.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness, prng } from './harness.js';

/**
 * The request log (request-log.ts) finds the hours that can hold a filter's rows in the hourly
 * rollups before it reads raw rows. Whatever the filter, its pages and its export chunks must hold
 * exactly the rows a plain scan of the table finds: none left out (a rare value, an hour cut by the
 * range, ids that spilled into the next hour), none twice, newest first for pages, oldest first for
 * exports.
 */

const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 4 * DAY;
const K1 = '00000000000000aa';
const K2 = '00000000000000bb';
const K3 = '00000000000000cc';

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/**
 * Three days with gaps: common models in most hours, a rare one in three hours far apart, a model that
 * only ever uses one api type and channel, projects and machines on some records, others with none.
 */
function scenario(): RequestRecordInput[] {
  const next = prng(7);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const records: RequestRecordInput[] = [];
  for (let hour = 0; hour < 72; hour++) {
    if (hour % 9 === 4 || hour % 13 === 7) continue;
    const count = 3 + Math.floor(next() * 8);
    for (let i = 0; i < count; i++) {
      const ts = DAY0 + hour * HOUR + Math.floor(next() * HOUR);
      const model = pick(['gpt', 'gpt', 'claude', 'qwen']);
      const project = pick(['/src/shop', '/src/blog', undefined, undefined]);
      const host = pick(['gpu-box', 'lab', undefined, undefined, undefined]);
      records.push({
        ts,
        model,
        ...(model === 'qwen' ? { apiType: 'openai', channel: K3 } : { apiType: pick(['openai', 'anthropic', 'gemini', undefined]), channel: pick([K1, K2, undefined]) }),
        inputTokens: 1 + i,
        ...(project === undefined ? {} : { project }),
        ...(host === undefined ? {} : { host }),
      });
    }
  }
  for (const hour of [2, 40, 66]) records.push({ ts: DAY0 + hour * HOUR + 17 * MINUTE, model: 'rare', apiType: 'anthropic', channel: K2, project: '/src/blog', inputTokens: 5 });
  return records;
}

/** Query fields the log takes, and the rollup-keyed parts crossed with each other. */
const FILTERS: Omit<RequestsQuery, 'from' | 'to' | 'limit' | 'before'>[] = [
  {},
  { model: 'gpt' },
  { model: 'rare' },
  { model: 'qwen', apiType: 'gemini' },
  { model: 'qwen', apiType: 'openai' },
  { model: 'qwen', metricsKey: K1 },
  { model: 'rare', apiType: 'anthropic', metricsKey: K2 },
  { apiType: 'gemini' },
  { apiType: 'anthropic', metricsKey: K2 },
  { metricsKey: K3 },
  { project: '/src/blog' },
  { project: '/src/blog', model: 'rare' },
  { project: '/src/shop', model: 'rare' },
  { project: '/src/shop', apiType: 'gemini', metricsKey: K1 },
  { host: 'gpu-box' },
  { host: 'lab', model: 'claude' },
  { host: 'lab', project: '/src/shop', model: 'gpt' },
  { host: LOCAL_HOST },
  { host: LOCAL_HOST, model: 'rare' },
  { host: 'gpu-box', model: 'rare' },
];

/** The ids of every row matching, newest first, by a plain scan of the table. */
function expectedIds(query: Omit<RequestsQuery, 'limit' | 'before'> & { from: number; to: number }): string[] {
  const ctx = h.ledger.ctx;
  const clauses = ['id >= ?', 'id < ?'];
  const params: unknown[] = [firstIdAt(query.from), firstIdAt(query.to)];
  const equal = (sql: string, value: number | undefined) => {
    clauses.push(sql);
    params.push(value ?? -1);
  };
  if (query.model !== undefined) equal('model_id = ?', ctx.models.find(query.model));
  if (query.apiType !== undefined) equal('coalesce(api_type_id, 0) = ?', ctx.apiTypes.find(query.apiType));
  if (query.project !== undefined) equal('coalesce(project_id, 0) = ?', ctx.projects.find(query.project));
  if (query.host !== undefined) equal('coalesce(host_id, 0) = ?', hostIdOf(ctx, query.host));
  if (query.metricsKey !== undefined) {
    const ids = channelIdsOf(ctx, query.metricsKey, query.apiType);
    clauses.push(`coalesce(channel_id, 0) IN (${ids.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...ids);
  }
  return h.ledger.db
    .prepare<unknown[], { id: number }>(`SELECT id FROM requests WHERE ${clauses.join(' AND ')} ORDER BY id DESC`)
    .all(...params)
    .map((row) => String(row.id));
}

/** Every page of the log for a query, `limit` rows at a time, following nextBefore. */
async function allPages(query: RequestsQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await h.service.listRequests({ ...query, ...(before === undefined ? {} : { before }) });
    pages++;
    ids.push(...page.requests.map((row) => row.id));
    if (page.nextBefore === null) return { ids, pages };
    before = page.nextBefore;
  }
}

/** The log's filter for a query, as the read path builds it (read-queries.ts), for iterate(). */
function logFilter(query: Omit<RequestsQuery, 'limit' | 'before'> & { from: number; to: number }): LogFilter {
  const ctx = h.ledger.ctx;
  return {
    from: query.from,
    to: query.to,
    ...(query.model === undefined ? {} : { modelId: ctx.models.find(query.model) ?? -1 }),
    ...(query.apiType === undefined ? {} : { apiTypeId: ctx.apiTypes.find(query.apiType) ?? -1 }),
    ...(query.project === undefined ? {} : { projectId: ctx.projects.find(query.project) ?? -1 }),
    ...(query.host === undefined ? {} : { hostId: hostIdOf(ctx, query.host) }),
    ...(query.metricsKey === undefined ? {} : { channelIds: channelIdsOf(ctx, query.metricsKey, query.apiType) }),
  };
}

function exportedIds(filter: LogFilter, chunk: number): string[][] {
  return [...h.ledger.requestLog.iterate(filter, chunk)].map((rows) => rows.map((row) => row.id));
}

describe('the request log under filters the rollups key on', () => {
  const windows = [
    { label: 'all three days', from: DAY0 - DAY, to: NOW },
    { label: 'hours cut at both ends', from: DAY0 + 5 * HOUR + 40 * MINUTE, to: DAY0 + 61 * HOUR + 7 * MINUTE },
    { label: 'other cuts', from: DAY0 + 30 * HOUR + 31 * MINUTE, to: DAY0 + 50 * HOUR + 29 * MINUTE },
    { label: 'inside one hour', from: DAY0 + 40 * HOUR + 10 * MINUTE, to: DAY0 + 40 * HOUR + 50 * MINUTE },
  ];

  it('pages hold exactly the rows a plain scan finds, newest first, for every filter and window', async () => {
    await h.service.ingestRequests(scenario());
    let checked = 0;
    for (const window of windows) {
      for (const filter of FILTERS) {
        const query = { ...filter, from: window.from, to: window.to };
        const expected = expectedIds(query);
        const { ids } = await allPages({ ...query, limit: 7 });
        expect(ids, `${window.label}: ${JSON.stringify(filter)}`).toEqual(expected);
        checked += expected.length;
      }
    }
    // The data has rows for most filters: the comparison is not of empty lists.
    expect(checked).toBeGreaterThan(1_000);
  });

  it('export chunks hold the same rows oldest first, every chunk full but the last', async () => {
    await h.service.ingestRequests(scenario());
    for (const window of windows) {
      for (const filter of FILTERS) {
        const query = { ...filter, from: window.from, to: window.to };
        const chunks = exportedIds(logFilter(query), 5);
        const label = `${window.label}: ${JSON.stringify(filter)}`;
        expect(chunks.flat(), label).toEqual(expectedIds(query).reverse());
        expect(
          chunks.slice(0, -1).every((chunk) => chunk.length === 5),
          label,
        ).toBe(true);
      }
    }
  });

  it('answers a combination that never occurs with an empty page, and unknown values too', async () => {
    await h.service.ingestRequests(scenario());
    for (const query of [{ model: 'qwen', apiType: 'gemini' }, { model: 'rare', project: '/src/shop' }, { model: 'nobody' }, { project: '/src/none' }, { host: 'elsewhere' }]) {
      const page = await h.service.listRequests({ ...query, from: DAY0, to: NOW });
      expect(page, JSON.stringify(query)).toEqual({ requests: [], nextBefore: null });
    }
  });

  it('finds rows whose ids spilled past the end of their hour, once each', async () => {
    // More than 1024 requests in the last millisecond of an hour: ids run into the next hour (which
    // holds no other request of this model, and in the second case one), and so do their rollups.
    const last = DAY0 + 10 * HOUR - 1;
    const burst = Array.from({ length: 1_500 }, (_, i) => ({ ts: last, model: 'burst', inputTokens: i + 1 }));
    await h.service.ingestRequests([...burst, { ts: DAY0 + 10 * HOUR + 5 * MINUTE, model: 'other', inputTokens: 1 }]);
    const query = { model: 'burst', from: DAY0, to: NOW };
    const expected = expectedIds(query);
    expect(expected).toHaveLength(1_500);
    expect((await allPages({ ...query, limit: 400 })).ids).toEqual(expected);
    expect(exportedIds(logFilter(query), 400).flat()).toEqual([...expected].reverse());

    await h.service.ingestRequests([{ ts: DAY0 + 10 * HOUR + 30 * MINUTE, model: 'burst', inputTokens: 1 }]);
    const again = expectedIds(query);
    expect(again).toHaveLength(1_501);
    expect((await allPages({ ...query, limit: 400 })).ids).toEqual(again);
    expect(exportedIds(logFilter(query), 400).flat()).toEqual([...again].reverse());
  });

  it('reads a rare model whose hours lie far apart without losing one, across many bucket reads', async () => {
    // One request every 5 hours for 60 days: more matching hours than one read of the rollup takes.
    const start = DAY0 - 60 * DAY;
    h.now = DAY0;
    const sparse = Array.from({ length: 288 }, (_, i) => ({ ts: start + i * 5 * HOUR + 1_000, model: 'sparse', inputTokens: 1 }));
    const dense = Array.from({ length: 1_440 }, (_, i) => ({ ts: start + i * HOUR + 2_000, model: 'dense', inputTokens: 1 }));
    await h.service.ingestRequests([...sparse, ...dense]);
    const query = { model: 'sparse', from: start, to: DAY0 };
    const expected = expectedIds(query);
    expect(expected).toHaveLength(288);
    expect((await allPages({ ...query, limit: 50 })).ids).toEqual(expected);
    expect(exportedIds(logFilter(query), 50).flat()).toEqual([...expected].reverse());
  });
});

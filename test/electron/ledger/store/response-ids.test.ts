import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestRecordSchema, type RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { errorCode, Harness } from './harness.js';

/**
 * Issue 15 items 4 and 5 in the store: a request has a project, branch, session and the upstream's
 * response id; one response id is one request whichever reporter (proxy, agent log) came first, and a
 * later copy may only fill in attribution, moving the request's rollup contribution to its project.
 */
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 3, 9, 0);

let h: Harness;
beforeEach(async () => {
  h = new Harness(T0 + 2 * HOUR);
  await h.service.addPriceVersion({ model: 'claude-x', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 3, output: 15 }] } });
});
afterEach(() => h.close());

/** The call as the proxy saw it: tokens, no project. */
const proxied: RequestRecordInput = { ts: T0 + 60_000, model: 'claude-x', inputTokens: 1_000, outputTokens: 200, responseId: 'msg_01ABC', source: 'proxy:claude' };
/** The same call in the agent's log: project, branch and session, its own requestId, tokens as logged. */
const logged: RequestRecordInput = {
  ts: T0 + 61_000,
  model: 'claude-x',
  inputTokens: 1_000,
  outputTokens: 200,
  responseId: 'msg_01ABC',
  requestId: 'claude-code:abc',
  source: 'claude-code',
  project: '/home/me/src/shop',
  branch: 'feature/cart',
  sessionId: 'session-1',
};

/** Per grain and project: the project rollups' sums, and under 0 ("no project") the plain rollups' sums less theirs (left out when 0). */
function rollupSums(): Record<string, number> {
  const out: Record<string, number> = {};
  const sumsOf = (sql: string) => h.ledger.db.prepare(sql).all() as { project_id: number; n: number; cost: number; input: number }[];
  for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day']) {
    const projectTable = table.replace('rollup_', 'rollup_project_');
    const none = sumsOf(`SELECT 0 AS project_id, sum(requests) AS n, sum(cost_nanos) AS cost, sum(input_tokens) AS input FROM ${table}`)[0]!;
    for (const row of sumsOf(`SELECT project_id, sum(requests) AS n, sum(cost_nanos) AS cost, sum(input_tokens) AS input FROM ${projectTable} GROUP BY project_id`)) {
      out[`${table} ${row.project_id} requests`] = row.n;
      out[`${table} ${row.project_id} cost`] = row.cost;
      out[`${table} ${row.project_id} input`] = row.input;
      none.n -= row.n;
      none.cost -= row.cost;
      none.input -= row.input;
    }
    if (none.n) out[`${table} 0 requests`] = none.n;
    if (none.cost) out[`${table} 0 cost`] = none.cost;
    if (none.input) out[`${table} 0 input`] = none.input;
  }
  return out;
}

describe('a response id seen twice', () => {
  it('proxy first, agent log later: one request, the log fills in project, branch and session, and the rollups follow', async () => {
    expect(await h.service.ingestRequests(proxied)).toEqual({ accepted: 1, duplicates: 0 });
    const before = await h.service.getSummary({ from: T0, to: T0 + HOUR });
    expect(before.byProject).toEqual([expect.objectContaining({ project: null, requests: 1 })]);

    // A different token count in the copy must not change what is stored.
    expect(await h.service.ingestRequests({ ...logged, outputTokens: 999 })).toEqual({ accepted: 0, duplicates: 1 });
    const rows = (await h.service.listRequests({ from: T0, to: T0 + HOUR })).requests;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outputTokens: 200, source: 'proxy:claude', project: '/home/me/src/shop', branch: 'feature/cart', sessionId: 'session-1', responseId: 'msg_01ABC' });

    const after = await h.service.getSummary({ from: T0, to: T0 + HOUR });
    expect(after.totals).toEqual(before.totals);
    expect(after.byProject).toEqual([
      { project: '/home/me/src/shop', name: 'shop', requests: 1, failures: 0, inputTokens: 1_000, outputTokens: 200, cacheReadTokens: 0, cacheWriteTokens: 0, unpricedRequests: 0, cost: { USD: 0.006 } },
    ]);
    // Every grain moved: nothing is left under "no project" (0).
    const sums = rollupSums();
    for (const table of ['rollup_minute', 'rollup_hour', 'rollup_day']) {
      expect(sums[`${table} 0 requests`], table).toBeUndefined();
      expect(sums[`${table} 1 requests`], table).toBe(1);
      expect(sums[`${table} 1 cost`], table).toBe(6_000_000);
    }
    const filtered = await h.service.getSummary({ from: T0, to: T0 + HOUR, project: '/home/me/src/shop' });
    expect(filtered.totals.requests).toBe(1);
    // A third copy (a re-import) changes nothing.
    const dump = h.dump();
    expect(await h.service.ingestRequests(logged)).toEqual({ accepted: 0, duplicates: 1 });
    expect(h.dump()).toEqual(dump);
  });

  it('agent log first, proxy later: the proxy copy is a duplicate and takes nothing away', async () => {
    expect(await h.service.ingestRequests(logged)).toEqual({ accepted: 1, duplicates: 0 });
    const dump = h.dump();
    expect(await h.service.ingestRequests({ ...proxied, inputTokens: 5 })).toEqual({ accepted: 0, duplicates: 1 });
    expect(h.dump()).toEqual(dump);
    const rows = (await h.service.listRequests({ from: T0, to: T0 + HOUR })).requests;
    expect(rows.map((r) => [r.source, r.project, r.inputTokens])).toEqual([['claude-code', '/home/me/src/shop', 1_000]]);
  });

  it('counts copies inside one batch once, and never overwrites attribution already stored', async () => {
    const other = { ...logged, requestId: 'claude-code:other', project: '/elsewhere', branch: 'main', sessionId: 'session-2' };
    expect(await h.service.ingestRequests([proxied, logged, other])).toEqual({ accepted: 1, duplicates: 2 });
    const [row] = (await h.service.listRequests({ from: T0, to: T0 + HOUR })).requests;
    expect(row).toMatchObject({ project: '/home/me/src/shop', branch: 'feature/cart', sessionId: 'session-1' });
    const projects = await h.service.listProjects({});
    expect(projects).toEqual([{ project: '/home/me/src/shop', name: 'shop', firstSeen: T0 + 60_000, lastSeen: T0 + 60_000, requests: 1, cost: { USD: 0.006 } }]);
  });

  it('keeps distinct response ids apart and survives a restart', async () => {
    await h.service.ingestRequests([proxied, { ...proxied, responseId: 'msg_02' }]);
    h.reopen();
    expect(await h.service.ingestRequests(logged)).toEqual({ accepted: 0, duplicates: 1 });
    const summary = await h.service.getSummary({ from: T0, to: T0 + HOUR });
    expect(summary.totals.requests).toBe(2);
    expect(summary.byProject?.map((p) => [p.project, p.requests])).toEqual([
      [null, 1],
      ['/home/me/src/shop', 1],
    ]);
  });
});

describe('project, branch, session and response id on a record', () => {
  const base = { model: 'm' };
  it.each([
    [{ project: '' }, 'project', 'must not be empty'],
    [{ project: '   ' }, 'project', 'blank'],
    [{ project: 'a\nb' }, 'project', 'control characters'],
    [{ project: 'x'.repeat(1025) }, 'project', 'longer than 1024'],
    [{ branch: 'x'.repeat(257) }, 'branch', 'longer than 256'],
    [{ branch: 'main\u0000' }, 'branch', 'control characters'],
    [{ sessionId: 'x'.repeat(129) }, 'sessionId', 'longer than 128'],
    [{ responseId: '' }, 'responseId', 'must not be empty'],
    [{ responseId: 'msg_\u202E' }, 'responseId', 'control characters'],
    [{ responseId: 42 }, 'responseId', ''],
  ])('rejects %j naming the field', (fields, field, message) => {
    const result = requestRecordSchema.safeParse({ ...base, ...fields });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
    expect(result.error!.issues[0]!.message).toContain(message);
  });

  it('accepts a Windows path, a bare name and the longest values', () => {
    for (const project of ['C:\\work\\api', 'scratch', `/${'p'.repeat(1023)}`]) expect(requestRecordSchema.safeParse({ ...base, project }).success).toBe(true);
    expect(requestRecordSchema.safeParse({ ...base, branch: 'b'.repeat(256), sessionId: 's'.repeat(128), responseId: 'r'.repeat(256) }).success).toBe(true);
  });

  it('refuses a batch holding one bad project and stores nothing of it', async () => {
    const dump = h.dump();
    expect(await errorCode(h.service.ingestRequests([{ model: 'm', project: '/ok' }, { model: 'm', project: 'bad\u0007' }]))).toBe('validation_failed');
    expect(h.dump()).toEqual(dump);
  });

  it('an unknown project filter matches nothing', async () => {
    await h.service.ingestRequests({ ...logged, ts: T0 });
    expect((await h.service.getSummary({ from: T0, to: T0 + HOUR, project: '/nowhere' })).totals.requests).toBe(0);
    expect((await h.service.listRequests({ from: T0, to: T0 + HOUR, project: '/nowhere' })).requests).toEqual([]);
    const history = await h.service.getHistory({ from: T0, to: T0 + HOUR, interval: 3600, project: '/nowhere' });
    expect(history.buckets.map((b) => b.requests)).toEqual([0]);
  });
});

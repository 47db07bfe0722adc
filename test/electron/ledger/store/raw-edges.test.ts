import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RawEdges } from '../../../../electron/ledger/store/raw-edges.js';
import { LOCAL_HOST } from '../../../../shared/local-host.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const DAY0 = Date.UTC(2026, 10, 2);
const NOW = DAY0 + 26 * 60 * MINUTE;
const HOSTS = ['gpu-box', 'laptop', undefined] as const;
const PROJECTS = ['/src/a', '/src/b', undefined, undefined] as const;

/** A request every 7 s for a day: models, projects and hosts crossed, so each edge holds all kinds. */
function records(): RequestRecordInput[] {
  return Array.from({ length: 24 * 60 * 60 / 7 }, (_, i) => {
    const host = HOSTS[i % 3];
    const project = PROJECTS[i % 4];
    return {
      ts: DAY0 + i * 7 * SECOND + 500,
      model: `m${i % 5}`,
      inputTokens: 10 + (i % 13),
      outputTokens: 1 + (i % 3),
      success: i % 17 !== 0,
      requestId: `r-${i}`,
      ...(host === undefined ? {} : { host }),
      ...(project === undefined ? {} : { project }),
    };
  });
}

describe("a summary's raw edges", () => {
  let h: Harness;
  let all: RequestRecordInput[];
  beforeEach(async () => {
    h = new Harness(NOW);
    all = records();
    // Forwarded records carry their host; the rest are this machine's.
    for (const host of ['gpu-box', 'laptop']) await h.service.ingestForwarded({ host, requests: all.filter((r) => r.host === host).map(({ host: _h, ...r }) => r) });
    await h.service.ingestRequests(all.filter((r) => r.host === undefined));
  });
  afterEach(() => h.close());

  // Both ends inside a minute, so both are raw rows.
  const range = { from: DAY0 + 3 * 60 * MINUTE + 17 * MINUTE + 12_345, to: DAY0 + 19 * 60 * MINUTE + 41 * MINUTE + 3_210 };
  const inRange = () => all.filter((r) => (r.ts as number) >= range.from && (r.ts as number) < range.to);
  const count = (rows: RequestRecordInput[], key: 'project' | 'host') => {
    const out = new Map<string | null, number>();
    for (const row of rows) out.set(row[key] ?? null, (out.get(row[key] ?? null) ?? 0) + 1);
    return out;
  };

  it('are read once for the model rows and both splits, and every split still adds up to the records in the range', async () => {
    const read = vi.fn();
    const original = RawEdges.prototype.rows;
    const spy = vi.spyOn(RawEdges.prototype, 'rows').mockImplementation(function (this: RawEdges, key, reader) {
      return original.call(this, key, () => {
        read(key);
        return reader();
      });
    });
    try {
      const summary = await h.service.getSummary(range);
      // Two edges (start and end), each read from the requests table once although three sets used them.
      expect(read).toHaveBeenCalledTimes(2);
      expect(spy.mock.calls.length).toBe(6);

      const expected = inRange();
      expect(summary.totals.requests).toBe(expected.length);
      expect(summary.totals.inputTokens).toBe(expected.reduce((sum, r) => sum + (r.inputTokens as number), 0));
      expect(summary.totals.failures).toBe(expected.filter((r) => r.success === false).length);
      expect(new Map(summary.models.map((m) => [m.model, m.requests]))).toEqual(
        new Map([...new Set(expected.map((r) => r.model))].map((model) => [model, expected.filter((r) => r.model === model).length])),
      );
      expect(new Map(summary.byProject!.map((p) => [p.project, p.requests]))).toEqual(count(expected, 'project'));
      expect(new Map(summary.byHost!.map((p) => [p.host, p.requests]))).toEqual(count(expected, 'host'));
    } finally {
      spy.mockRestore();
    }
  });

  it('give a summary filtered by project or host the same rows as the per-set reads did', async () => {
    const expected = inRange();
    const project = await h.service.getSummary({ ...range, project: '/src/a' });
    const a = expected.filter((r) => r.project === '/src/a');
    expect(project.totals.requests).toBe(a.length);
    expect(new Map(project.models.map((m) => [m.model, m.outputTokens]))).toEqual(
      new Map([...new Set(a.map((r) => r.model))].map((model) => [model, a.filter((r) => r.model === model).reduce((sum, r) => sum + (r.outputTokens as number), 0)])),
    );
    const local = await h.service.getSummary({ ...range, host: LOCAL_HOST });
    const own = expected.filter((r) => r.host === undefined);
    expect(local.totals.requests).toBe(own.length);
    expect(new Map(local.byProject?.map((p) => [p.project, p.requests]) ?? [])).toEqual(new Map());
  });
});

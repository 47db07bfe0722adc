import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../shared/errors.js';
import type { ForwardBatchInput } from '../../../shared/schemas/forwarding.js';
import { LOCAL_HOST } from '../../../shared/schemas/queries.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import type { ExportRow, LedgerEvent } from '../../../shared/types.js';
import { errorCode, Harness } from '../ledger/store/harness.js';

/**
 * The receiving side of forwarding (HostService.ingestForwarded and listHosts), and what the host
 * dimension does to the reads: filters, splits, the request log and the export.
 */

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 10, 2);
const NOW = DAY0 + 20 * HOUR;
const K1 = '00000000000000aa';

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

function requests(prefix: string, count: number, extra: Partial<RequestRecordInput> = {}): RequestRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: DAY0 + i * 7 * 60_000,
    model: `m${i % 2}`,
    inputTokens: 100 + i,
    outputTokens: 10,
    requestId: `${prefix}-${i}`,
    ...extra,
  }));
}

function batch(host: string, body: Partial<ForwardBatchInput> = {}): ForwardBatchInput {
  return { host, ...body };
}

describe('ingestForwarded', () => {
  it('stores a batch once: a resend is all duplicates, runs are updated not doubled', async () => {
    const run = { originId: 7, model: 'Qwen3-32B', source: 'llama-swap', startAt: DAY0 + HOUR, endAt: null, lastSeenAt: DAY0 + 2 * HOUR };
    const body = batch('gpu-box', { requests: requests('a', 40), runs: [run] });
    const first = await h.service.ingestForwarded(body);
    expect(first).toEqual({ host: 'gpu-box', requests: { accepted: 40, duplicates: 0 }, runs: 1, circuits: 0 });
    const dump = h.dump();
    const again = await h.service.ingestForwarded(body);
    expect(again.requests).toEqual({ accepted: 0, duplicates: 40 });
    expect(h.dump()).toEqual(dump);

    // The run's later state (stopped) updates the same row; an older state sent late does not reopen it.
    await h.service.ingestForwarded(batch('gpu-box', { runs: [{ ...run, endAt: DAY0 + 3 * HOUR, lastSeenAt: DAY0 + 3 * HOUR }] }));
    await h.service.ingestForwarded(batch('gpu-box', { runs: [run] }));
    const runs = await h.service.listRuns({});
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ model: 'Qwen3-32B', source: 'llama-swap', start: DAY0 + HOUR, end: DAY0 + 3 * HOUR, running: false });
    // The same origin id from another machine is another run.
    await h.service.ingestForwarded(batch('lab', { runs: [run] }));
    expect(await h.service.listRuns({})).toHaveLength(2);
  });

  it('stores each request as coming from its own host, else the batch host', async () => {
    await h.service.ingestRequests(requests('local', 5));
    const result = await h.service.ingestForwarded(batch('gpu-box', { requests: [...requests('b', 3), ...requests('c', 2, { host: 'relay-2' })] }));
    expect(result.requests.accepted).toBe(5);
    const page = await h.service.listRequests({ limit: 100 });
    const byHost = (host: string | null) => page.requests.filter((row) => row.host === host).map((row) => row.requestId).sort();
    expect(byHost(null)).toEqual(['local-0', 'local-1', 'local-2', 'local-3', 'local-4']);
    expect(byHost('gpu-box')).toEqual(['b-0', 'b-1', 'b-2']);
    expect(byHost('relay-2')).toEqual(['c-0', 'c-1']);

    const hosts = await h.service.listHosts();
    expect(hosts.map((host) => [host.name, host.requests])).toEqual([
      [null, 5],
      ['gpu-box', 3],
      ['relay-2', 2],
    ]);
    expect(hosts[1]!.firstSeen).toBe(DAY0);
    // This machine's span comes from its own rows, not the forwarded ones around them.
    expect([hosts[0]!.firstSeen, hosts[0]!.lastSeen]).toEqual([DAY0, DAY0 + 4 * 7 * 60_000]);
    await h.service.ingestForwarded(batch('gpu-box', { requests: requests('late', 2, { ts: DAY0 + 5 * HOUR }) }));
    const later = await h.service.listHosts();
    expect([later[0]!.lastSeen, later[1]!.lastSeen]).toEqual([DAY0 + 4 * 7 * 60_000, DAY0 + 5 * HOUR]);
    expect(later.map((host) => host.name)).toEqual([null, 'gpu-box', 'relay-2']);
  });

  it('applies circuit states as PUT /circuits does, and announces what changed once committed', async () => {
    const events: LedgerEvent[] = [];
    h.service.events.subscribe((event) => events.push(event));
    const circuit = { metricsKey: K1, apiType: 'openai', state: 'open' as const, reason: 'upstream 503' };
    const result = await h.service.ingestForwarded(batch('gpu-box', { circuits: [circuit], requests: requests('d', 1) }));
    expect(result.circuits).toBe(1);
    expect((await h.service.listCircuits({})).map((c) => [c.metricsKey, c.state])).toEqual([[K1, 'open']]);
    expect(events.map((event) => event.type).sort()).toEqual(['circuits', 'hosts', 'requests']);
    // The same state again is no transition.
    events.length = 0;
    await h.service.ingestForwarded(batch('gpu-box', { circuits: [circuit] }));
    expect(events.filter((event) => event.type === 'circuits' || event.type === 'hosts')).toEqual([]);
    expect(await h.service.listCircuitEvents({})).toHaveLength(1);
  });

  it('refuses bad input with the field and index, storing nothing', async () => {
    await h.service.ingestRequests(requests('local', 3));
    const counts = h.tableCounts();
    const dump = h.dump();
    const refuse = async (body: unknown, message: RegExp) => {
      const error = await h.service.ingestForwarded(body as ForwardBatchInput).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status, String(body)).toBe(400);
      expect((error as ApiError).message).toMatch(message);
      expect(h.tableCounts()).toEqual(counts);
      expect(h.dump()).toEqual(dump);
    };
    const good = requests('e', 3);
    const run = { originId: 1, model: 'x', startAt: DAY0, endAt: null, lastSeenAt: DAY0 };
    await refuse({ requests: good }, /host/);
    await refuse({ host: '', requests: good }, /host must not be empty/);
    await refuse({ host: 'gpu', requests: [good[0], { ...good[1], requestId: undefined }] }, /forwarded requests must carry a requestId.*request 1/);
    await refuse({ host: 'gpu', requests: [good[0], { ...good[1], inputTokens: -1 }], runs: [run] }, /requests: .*record 1: inputTokens/);
    await refuse({ host: 'gpu', requests: good, runs: [{ ...run, originId: 0 }] }, /runs\.0\.originId/);
    await refuse({ host: 'gpu', requests: good, circuits: [{ apiType: 'openai', state: 'open' }] }, /circuits\.0\.metricsKey/);
    await refuse({ host: 'gpu', requests: good, extra: 1 }, /extra/);
    // A circuit naming a channel this ledger does not know: refused before the requests are written.
    const unknown = { channel: { baseUrl: 'https://api.example.com', keyMask: 'sk-...abcd' }, apiType: 'openai', state: 'open' };
    expect(await errorCode(h.service.ingestForwarded({ host: 'gpu', requests: good, runs: [run], circuits: [unknown] } as ForwardBatchInput))).toBe('not_found');
    expect(h.tableCounts()).toEqual(counts);
    expect(h.dump()).toEqual(dump);
  });
});

describe('the host dimension in reads', () => {
  beforeEach(async () => {
    await h.service.addPriceVersion({ model: 'm0', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 4 }], effectiveFrom: DAY0 } });
    await h.service.ingestRequests(requests('local', 10, { project: '/src/app' }));
    await h.service.reportRun({ model: 'local-llm', event: 'start', ts: DAY0 + HOUR });
    await h.service.reportRun({ model: 'local-llm', event: 'stop', ts: DAY0 + 2 * HOUR });
    await h.service.ingestForwarded(
      batch('gpu-box', {
        requests: requests('g', 6),
        runs: [{ originId: 3, model: 'remote-llm', startAt: DAY0 + HOUR, endAt: DAY0 + 4 * HOUR, lastSeenAt: DAY0 + 4 * HOUR }],
      }),
    );
  });

  it('summary: byHost splits the total, the host filter narrows requests and runtime', async () => {
    const all = await h.service.getSummary({ from: DAY0, to: NOW });
    expect(all.totals.requests).toBe(16);
    expect(all.byHost?.map((row) => [row.host, row.requests])).toEqual([
      [null, 10],
      ['gpu-box', 6],
    ]);
    expect(all.byHost!.reduce((sum, row) => sum + (row.cost['USD'] ?? 0), 0)).toBeCloseTo(all.totals.cost['USD']!, 9);
    expect(all.totals.runtimeSeconds).toBe(4 * 3600);

    const gpu = await h.service.getSummary({ from: DAY0, to: NOW, host: 'gpu-box' });
    expect(gpu.totals.requests).toBe(6);
    expect(gpu.totals.runtimeSeconds).toBe(3 * 3600);
    expect(gpu.models.map((m) => m.model).sort()).toEqual(['m0', 'm1', 'remote-llm']);

    const local = await h.service.getSummary({ from: DAY0, to: NOW, host: LOCAL_HOST });
    expect(local.totals.requests).toBe(10);
    expect(local.totals.runtimeSeconds).toBe(3600);
    const nobody = await h.service.getSummary({ from: DAY0, to: NOW, host: 'never-seen' });
    expect(nobody.totals.requests).toBe(0);
    expect(nobody.totals.runtimeSeconds).toBe(0);
  });

  it('a summary before any host forwarded has no byHost', async () => {
    const fresh = new Harness(NOW);
    try {
      await fresh.service.ingestRequests(requests('x', 2));
      expect((await fresh.service.getSummary({ from: DAY0, to: NOW })).byHost).toBeUndefined();
    } finally {
      fresh.close();
    }
  });

  it('history: groupBy=host rows add up to the total and carry each machine its runs; the filter narrows', async () => {
    const grouped = await h.service.getHistory({ from: DAY0, to: NOW, interval: 3600, groupBy: 'host' });
    const sum = (host: string | null, key: 'requests' | 'runtimeSeconds') => grouped.buckets.filter((b) => b.host === host).reduce((total, b) => total + b[key], 0);
    expect(sum(null, 'requests')).toBe(10);
    expect(sum('gpu-box', 'requests')).toBe(6);
    expect(sum(null, 'runtimeSeconds')).toBe(3600);
    expect(sum('gpu-box', 'runtimeSeconds')).toBe(3 * 3600);
    const filtered = await h.service.getHistory({ from: DAY0, to: NOW, interval: 3600, host: 'gpu-box' });
    expect(filtered.buckets.reduce((total, b) => total + b.requests, 0)).toBe(6);
    expect(filtered.buckets.reduce((total, b) => total + b.runtimeSeconds, 0)).toBe(3 * 3600);
  });

  it('refuses project and host together in summary and history with a clear 400', async () => {
    for (const call of [
      h.service.getSummary({ from: DAY0, to: NOW, host: 'gpu-box', project: '/src/app' }),
      h.service.getHistory({ from: DAY0, to: NOW, host: 'gpu-box', project: '/src/app' }),
      h.service.getHistory({ from: DAY0, to: NOW, project: '/src/app', groupBy: 'host' }),
    ]) {
      const error = await call.then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(400);
      expect((error as ApiError).message).toMatch(/project and host cannot be combined/);
    }
  });

  it('request log and export: the host filter and the host column (last in the CSV)', async () => {
    const gpu = await h.service.listRequests({ host: 'gpu-box', limit: 100 });
    expect(gpu.requests).toHaveLength(6);
    expect(new Set(gpu.requests.map((row) => row.host))).toEqual(new Set(['gpu-box']));
    const local = await h.service.listRequests({ host: LOCAL_HOST, limit: 100 });
    expect(local.requests).toHaveLength(10);
    expect(new Set(local.requests.map((row) => row.host))).toEqual(new Set([null]));
    expect((await h.service.listRequests({ host: 'nope', limit: 100 })).requests).toEqual([]);

    const rows = await exported({ host: 'gpu-box' });
    expect(rows.filter((row) => row.kind === 'request')).toHaveLength(6);
    expect(rows.filter((row) => row.kind === 'run').map((row) => [row.model, row.host])).toEqual([['remote-llm', 'gpu-box']]);
    const everything = await exported({});
    expect(everything.filter((row) => row.kind === 'run').map((row) => row.host).sort()).toEqual(['gpu-box', null]);
  });
});

/** The JSON export's rows. */
async function exported(filter: { host?: string }): Promise<ExportRow[]> {
  let text = '';
  for await (const page of h.service.exportPages({ format: 'json', ...filter })) text += Buffer.from(page.bytes).toString('utf8');
  return JSON.parse(text) as ExportRow[];
}

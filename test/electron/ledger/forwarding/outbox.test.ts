import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../../../electron/ledger/forwarding/outbox.js';
import { forwardTriggersPresent } from '../../../../electron/ledger/forwarding/triggers.js';
import { forwardBatchSchema } from '../../../../shared/schemas/forwarding.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';
import { Harness } from '../store/harness.js';

/**
 * Issue 17 item 3, the sending side's outbox: entries are queued by triggers in the writing
 * transaction, only while forwarding is on; a batch rebuilds the records the target takes, sends a
 * run or circuit once in its current state, skips rows deleted meanwhile, and the existing ledger is
 * queued in chunks when forwarding is switched on.
 */
const T0 = Date.UTC(2026, 10, 2, 9, 0);
const TARGET = 'http://127.0.0.1:9';
const KEY = '0123456789abcdef';

let h: Harness;
let outbox: Outbox;
beforeEach(() => {
  h = new Harness(T0 + 3_600_000);
  outbox = new Outbox(h.ledger.ctx);
});
afterEach(() => h.close());

const entries = () => h.ledger.db.prepare<[], { kind: number; ref: number }>(`SELECT kind, ref FROM forward_outbox ORDER BY seq`).all();
const record = (i: number, over: Partial<RequestRecord> = {}): RequestRecord => ({
  ts: T0 + i * 1_000,
  model: 'qwen3-30b',
  apiType: 'openai',
  inputTokens: 100 + i,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  success: true,
  failureClass: null,
  statusCode: null,
  latencyMs: 900,
  ttftMs: 100,
  channel: null,
  source: 'llama-server',
  requestId: null,
  ...over,
});

/** Sends nothing anywhere: reads everything waiting and acknowledges it, as a sender would. */
function drain(limit = 1_000) {
  const sent = { requests: [] as unknown[], runs: [] as unknown[], circuits: [] as unknown[] };
  for (let batch = outbox.read(limit); batch !== null; batch = outbox.read(limit)) {
    sent.requests.push(...batch.requests);
    sent.runs.push(...batch.runs);
    sent.circuits.push(...batch.circuits);
    outbox.ack(batch);
  }
  return sent;
}

describe('the outbox triggers', () => {
  it('exist only while forwarding is on: off queues nothing, on queues every write, off again keeps what waits', () => {
    h.service.writeRecords([record(1)]);
    expect(entries()).toEqual([]);
    expect(forwardTriggersPresent(h.ledger.db)).toBe(false);

    outbox.switchOn(TARGET);
    expect(forwardTriggersPresent(h.ledger.db)).toBe(true);
    while (outbox.backfilling) outbox.backfillStep();
    drain();
    h.service.writeRecords([record(2), record(3)]);
    expect(entries().map((e) => e.kind)).toEqual([1, 1]);

    outbox.switchOff();
    expect(forwardTriggersPresent(h.ledger.db)).toBe(false);
    h.service.writeRecords([record(4)]);
    expect(entries()).toHaveLength(2);
  });

  it('queue in the writing transaction: a write rolled back leaves no entry, a committed one always has its entry', () => {
    outbox.switchOn(TARGET);
    while (outbox.backfilling) outbox.backfillStep();
    expect(() =>
      h.ledger.write(() => {
        h.service.writeRecords([record(1)]);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(h.tableCounts()['requests']).toBe(0);
    expect(entries()).toEqual([]);
    h.service.writeRecords([record(2)]);
    const id = h.ledger.db.prepare<[], { id: number }>(`SELECT id FROM requests`).get()!.id;
    expect(entries()).toEqual([{ kind: 1, ref: id }]);
  });

  it('queue a request again when its attribution is filled, and a duplicate not at all', async () => {
    outbox.switchOn(TARGET);
    await h.service.ingestRequests({ ts: T0, model: 'claude-x', inputTokens: 10, responseId: 'msg_1', source: 'proxy' });
    await h.service.ingestRequests({ ts: T0, model: 'claude-x', inputTokens: 10, responseId: 'msg_1' });
    expect(entries()).toHaveLength(1);
    await h.service.ingestRequests({ ts: T0, model: 'claude-x', inputTokens: 10, responseId: 'msg_1', requestId: 'log:1', project: '/src/shop', sessionId: 's1' });
    expect(entries()).toHaveLength(2);
    const sent = drain().requests as { project?: string; responseId?: string }[];
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ project: '/src/shop', responseId: 'msg_1', sessionId: 's1' });
  });
});

describe('a batch', () => {
  beforeEach(() => {
    outbox.switchOn(TARGET);
    while (outbox.backfilling) outbox.backfillStep();
  });

  it('rebuilds records the target accepts, each with a stable requestId (its own, else mm:<instance>:<row id>)', async () => {
    await h.service.ingestRequests([
      { ts: T0, model: 'gpt-5-mini', apiType: 'openai', provider: 'openai', inputTokens: 1_200, cacheReadTokens: 4_096, outputTokens: 350, latencyMs: 2_400, ttftMs: 380, requestId: 'req-1', channel: KEY },
      { ts: T0 + 5, model: 'qwen3', inputTokens: 900, outputTokens: 512, success: false, failureClass: 'overloaded', statusCode: 503, source: 'llama-server', project: 'shop', branch: 'main' },
    ]);
    const batch = outbox.read(100)!;
    const again = outbox.read(100)!;
    expect(again.requests).toEqual(batch.requests);
    expect(batch.requests).toEqual([
      { ts: T0, model: 'gpt-5-mini', apiType: 'openai', provider: 'openai', inputTokens: 1_200, cacheReadTokens: 4_096, cacheWriteTokens: 0, outputTokens: 350, latencyMs: 2_400, ttftMs: 380, requestId: 'req-1', channel: KEY, success: true },
      expect.objectContaining({ ts: T0 + 5, model: 'qwen3', success: false, failureClass: 'overloaded', statusCode: 503, source: 'llama-server', project: 'shop', branch: 'main', requestId: expect.stringMatching(new RegExp(`^mm:${outbox.instanceId()}:\\d+$`)) }),
    ]);
    const parsed = forwardBatchSchema.safeParse({ host: 'gpu-box', requests: batch.requests, runs: batch.runs, circuits: batch.circuits });
    expect(parsed.success).toBe(true);
  });

  it('sends a run and a circuit once in their current state, and deletes on ack exactly the entries it covered', async () => {
    await h.service.reportRun({ model: 'qwen3', event: 'start', source: 'llama-swap', ts: T0 });
    for (let i = 1; i <= 4; i++) await h.service.reportRun({ model: 'qwen3', event: 'heartbeat', source: 'llama-swap', ts: T0 + i * 10_000 });
    await h.service.putCircuits([{ metricsKey: KEY, apiType: 'openai', state: 'open', consecutiveFailures: 3 }]);
    await h.service.putCircuits([{ metricsKey: KEY, apiType: 'openai', state: 'half_open', consecutiveFailures: 3 }]);
    const queued = entries().length;
    expect(queued).toBeGreaterThanOrEqual(7);

    const batch = outbox.read(3)!;
    expect(batch.runs).toEqual([{ originId: expect.any(Number), model: 'qwen3', source: 'llama-swap', startAt: T0, endAt: null, lastSeenAt: T0 + 40_000 }]);
    // Written after the read: its entry must survive the ack.
    await h.service.reportRun({ model: 'qwen3', event: 'stop', source: 'llama-swap', ts: T0 + 50_000 });
    const deleted = outbox.ack(batch);
    // The run's later heartbeats were covered by the state read; the circuit is not in this batch.
    expect(deleted.runs).toBe(5);
    const rest = entries();
    expect(rest.filter((e) => e.kind === 2)).toHaveLength(1);
    const next = outbox.read(100)!;
    expect(next.runs).toEqual([expect.objectContaining({ endAt: T0 + 50_000 })]);
    expect(next.circuits).toEqual([expect.objectContaining({ metricsKey: KEY, apiType: 'openai', state: 'half_open', consecutiveFailures: 3 })]);
    outbox.ack(next);
    expect(entries()).toEqual([]);
  });

  it('skips rows deleted before they were sent, and their entries go with the batch', async () => {
    h.service.writeRecords([record(1, { model: 'gone' }), record(2)]);
    await h.service.deleteModel({ model: 'gone' });
    const batch = outbox.read(100)!;
    expect(batch.requests.map((r) => (r as { model: string }).model)).toEqual(['qwen3-30b']);
    expect(batch.entries.requests).toBe(2);
    outbox.ack(batch);
    expect(entries()).toEqual([]);
    expect(outbox.read(100)).toBeNull();
  });
});

describe('switching on', () => {
  it('queues the existing ledger in chunks, once per target; a restart resumes the backfill', async () => {
    h.service.writeRecords(Array.from({ length: 12 }, (_, i) => record(i)));
    await h.service.reportRun({ model: 'qwen3', event: 'start', ts: T0 });
    expect(outbox.switchOn(TARGET)).toBe(true);
    expect(outbox.backfilling).toBe(true);
    expect(outbox.backfillStep(5)).toEqual({ requests: 5, runs: 0, circuits: 0 });
    // Written during the backfill: queued by its trigger, not again by the backfill.
    h.service.writeRecords([record(100)]);
    h.reopen();
    outbox = new Outbox(h.ledger.ctx);
    expect(outbox.backfilling).toBe(true);
    const steps = [];
    while (outbox.backfilling) steps.push(outbox.backfillStep(5));
    expect(steps.reduce((n, s) => n + s.requests, 0)).toBe(7);
    expect(outbox.counts()).toEqual({ requests: 13, runs: 1, circuits: 0 });
    expect(new Set(entries().map((e) => `${e.kind}:${e.ref}`)).size).toBe(14);

    expect(outbox.switchOn(TARGET)).toBe(false);
    expect(outbox.backfilling).toBe(false);
    expect(outbox.switchOn('http://127.0.0.1:10')).toBe(true);
    outbox.switchOff();
    expect(outbox.backfilling).toBe(false);
    expect(outbox.switchOn('http://127.0.0.1:10')).toBe(true);
  });
});

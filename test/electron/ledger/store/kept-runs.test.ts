import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './harness.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 20, 9);

describe('run spans kept between reads', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(T0);
  });
  afterEach(() => h.close());

  /** What the runs table holds now, read directly: the answer a reader that keeps nothing gives. */
  const direct = (from: number, to: number) =>
    h.ledger.db
      .prepare<[number, number], [number, number, number | null, number]>(
        `SELECT model_id, start_at, end_at, coalesce(host_id, 0) FROM runs WHERE start_at < ? AND (end_at IS NULL OR end_at > ?) ORDER BY start_at`,
      )
      .raw(true)
      .all(to, from)
      .map(([modelId, start, end, hostId]) => ({ modelId, hostId, start, end }));
  const version = () => h.ledger.db.prepare<[], number>('SELECT version FROM runs_version').pluck().get()!;
  const spans = () => h.ledger.runs.spans(T0 - 60 * MINUTE, T0 + 600 * MINUTE);
  const expectCurrent = () => expect(spans()).toEqual(direct(T0 - 60 * MINUTE, T0 + 600 * MINUTE));

  it('answer as the runs table is after every kind of change, and keep their number through heartbeats', async () => {
    await h.service.reportRun({ model: 'qwen', event: 'start', source: 'llama-swap', ts: T0 });
    expectCurrent();
    const started = version();

    h.now = T0 + 2 * MINUTE;
    await h.service.reportRun({ model: 'qwen', event: 'heartbeat', source: 'llama-swap' });
    expect(version()).toBe(started);
    expectCurrent();

    await h.service.reportRun({ model: 'qwen', event: 'stop', source: 'llama-swap', ts: T0 + 3 * MINUTE });
    expect(version()).toBeGreaterThan(started);
    expectCurrent();
    expect(spans()).toEqual([expect.objectContaining({ start: T0, end: T0 + 3 * MINUTE })]);

    // Another machine's run, then the same run again, ended.
    const run = { originId: 7, model: 'llama', startAt: T0 + MINUTE, endAt: null, lastSeenAt: T0 + 2 * MINUTE };
    await h.service.ingestForwarded({ host: 'gpu-box', requests: [], runs: [run] });
    expectCurrent();
    await h.service.ingestForwarded({ host: 'gpu-box', requests: [], runs: [{ ...run, endAt: T0 + 5 * MINUTE, lastSeenAt: T0 + 5 * MINUTE }] });
    expectCurrent();
    expect(spans()).toHaveLength(2);

    await h.service.ingestRequests([{ ts: T0, model: 'qwen', inputTokens: 1, outputTokens: 1 }]);
    await h.service.deleteModel({ model: 'qwen' });
    expectCurrent();
    expect(spans()).toEqual([expect.objectContaining({ start: T0 + MINUTE, end: T0 + 5 * MINUTE })]);
  });
});

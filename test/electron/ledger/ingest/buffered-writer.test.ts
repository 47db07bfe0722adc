import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BufferedWriter } from '../../../../electron/ledger/ingest/buffered-writer.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';

function record(i: number): RequestRecord {
  return {
    ts: 1_800_000_000_000 + i,
    model: 'm',
    apiType: null,
    inputTokens: i,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    success: true,
    failureClass: null,
    statusCode: null,
    latencyMs: null,
    ttftMs: null,
    channel: null,
    source: null,
    requestId: null,
  };
}

describe('BufferedWriter (the in-process, non-blocking write path)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never writes inside add(); writes within the interval', () => {
    const writes: number[][] = [];
    const writer = new BufferedWriter((records) => writes.push(records.map((r) => r.inputTokens)), { batchSize: 100, intervalMs: 1000 });
    writer.add(record(1));
    writer.add(record(2));
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([[1, 2]]);
    expect(writer.stats).toMatchObject({ pending: 0, written: 2, dropped: 0 });
  });

  it('writes as soon as a batch is full, without waiting for the interval', () => {
    const writes: number[] = [];
    const writer = new BufferedWriter((records) => writes.push(records.length), { batchSize: 3, intervalMs: 60_000 });
    for (let i = 0; i < 3; i++) writer.add(record(i));
    expect(writes).toEqual([]);
    vi.advanceTimersToNextTimer();
    vi.runOnlyPendingTimers();
    expect(writes).toEqual([3]);
  });

  it('keeps records across a failed flush and writes them, in order, on the next try', () => {
    let failing = true;
    const writes: number[][] = [];
    const writer = new BufferedWriter(
      (records) => {
        if (failing) throw new Error('disk full');
        writes.push(records.map((r) => r.inputTokens));
      },
      { batchSize: 100, intervalMs: 1000 },
    );
    writer.add(record(1));
    writer.add(record(2));
    vi.advanceTimersByTime(1000);
    expect(writer.stats).toMatchObject({ pending: 2, failedFlushes: 1, lastError: 'disk full' });
    writer.add(record(3));
    failing = false;
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual([[1, 2, 3]]);
    expect(writer.stats).toMatchObject({ pending: 0, written: 3 });
  });

  it('bounds what it keeps while writes fail: the oldest records are dropped and counted', () => {
    const writer = new BufferedWriter(() => {
      throw new Error('read-only');
    }, { batchSize: 1000, intervalMs: 1000, maxPending: 5 });
    for (let i = 0; i < 8; i++) writer.add(record(i));
    expect(writer.stats).toMatchObject({ pending: 5, dropped: 3 });
  });

  it('flushes on close and refuses records afterwards', () => {
    const writes: number[] = [];
    const writer = new BufferedWriter((records) => writes.push(records.length), { batchSize: 100, intervalMs: 60_000 });
    writer.add(record(1));
    expect(writer.close()).toBe(true);
    expect(writes).toEqual([1]);
    expect(() => writer.add(record(2))).toThrow(/closed/);
  });
});

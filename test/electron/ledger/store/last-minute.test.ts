import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageQuery } from '../../../../electron/ledger/store/usage-query.js';
import { Harness } from './harness.js';

const MINUTE = 60_000;
// 40.5 s into a minute: a range ending "now" ends inside it.
const NOW = Date.UTC(2026, 10, 3, 12, 34, 40, 500);
const MINUTE_START = NOW - 40_500;

interface PieceRead {
  source: string;
  from: number;
  to: number;
}

/** The pieces the usage reads of one call read, as they were read. */
async function piecesRead(run: () => Promise<unknown>): Promise<PieceRead[]> {
  const read = vi.spyOn(UsageQuery.prototype as unknown as { readPiece: (...args: unknown[]) => void }, 'readPiece');
  try {
    await run();
    return read.mock.calls.map((call) => call[0] as PieceRead);
  } finally {
    read.mockRestore();
  }
}

/** Raw rows read for the range's last minute (the one `to` falls in). */
const rawAtEnd = (pieces: PieceRead[], to: number) => pieces.filter((piece) => piece.source === 'requests' && piece.to === to);

describe('a range that ends inside a minute', () => {
  let h: Harness;
  afterEach(() => h.close());

  const records = (project?: string) =>
    [1_000, 12_000, 39_999, 40_499].map((offset, i) => ({
      ts: MINUTE_START + offset,
      model: i % 2 ? 'alpha' : 'beta',
      inputTokens: 10 + i,
      outputTokens: 3,
      ...(project ? { project } : {}),
    }));

  it("is answered from the hour's rollup when nothing is stored after its end in that hour, with the same sums", async () => {
    h = new Harness(NOW);
    await h.service.ingestRequests([...records('/src/a'), { ts: MINUTE_START - 5 * MINUTE, model: 'alpha', inputTokens: 7, outputTokens: 1 }]);
    const range = { from: NOW - 90 * MINUTE, to: NOW };
    const hour = NOW - (NOW % (60 * MINUTE));
    let summary: Awaited<ReturnType<typeof h.service.getSummary>> | undefined;
    const pieces = await piecesRead(async () => (summary = await h.service.getSummary(range)));
    // No minute or raw row of the current hour is read: its rollup row stands for all of them.
    expect(pieces.filter((piece) => piece.from >= hour && piece.source !== 'rollup_hour')).toEqual([]);
    expect(pieces.some((piece) => piece.source === 'rollup_hour' && piece.from <= hour && piece.to === hour + 60 * MINUTE)).toBe(true);
    expect(summary!.totals.requests).toBe(5);
    expect(summary!.totals.inputTokens).toBe(10 + 11 + 12 + 13 + 7);
    expect(summary!.byProject?.find((p) => p.project === '/src/a')?.requests).toBe(4);
    for (const interval of [60, 900, 3_600, 'auto'] as const) {
      const history = await h.service.getHistory({ ...range, interval, groupBy: 'model' });
      expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
    }
  });

  it('is answered from the minute rollup when a request is stored later in the hour but not after its end in that minute, and leaves it out', async () => {
    h = new Harness(NOW);
    // A clock ahead: stamped five minutes after "now".
    await h.service.ingestRequests([...records('/src/a'), { ts: MINUTE_START - 5 * MINUTE, model: 'alpha', inputTokens: 7, outputTokens: 1 }, { ts: NOW + 5 * MINUTE, model: 'alpha', inputTokens: 1_000, outputTokens: 1 }]);
    const range = { from: NOW - 60 * MINUTE, to: NOW };
    let summary: Awaited<ReturnType<typeof h.service.getSummary>> | undefined;
    const pieces = await piecesRead(async () => (summary = await h.service.getSummary(range)));
    expect(rawAtEnd(pieces, NOW)).toEqual([]);
    expect(pieces.some((piece) => piece.source === 'rollup_minute' && piece.from <= MINUTE_START && piece.to > MINUTE_START)).toBe(true);
    expect(summary!.totals.requests).toBe(5);
    expect(summary!.totals.inputTokens).toBe(10 + 11 + 12 + 13 + 7);
    expect(summary!.byProject?.find((p) => p.project === '/src/a')?.requests).toBe(4);
    const history = await h.service.getHistory({ ...range, interval: 60, groupBy: 'model' });
    expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(5);
  });

  it('reads raw rows when a request is stored after its end in that minute, and leaves it out', async () => {
    h = new Harness(NOW);
    // A clock ahead: stamped 10 s after "now", inside the same minute.
    await h.service.ingestRequests([...records(), { ts: NOW + 10_000, model: 'alpha', inputTokens: 1_000, outputTokens: 1 }]);
    const range = { from: NOW - 60 * MINUTE, to: NOW };
    let summary: Awaited<ReturnType<typeof h.service.getSummary>> | undefined;
    const pieces = await piecesRead(async () => (summary = await h.service.getSummary(range)));
    expect(rawAtEnd(pieces, NOW).length).toBeGreaterThan(0);
    expect(summary!.totals.requests).toBe(4);
    expect(summary!.totals.inputTokens).toBe(10 + 11 + 12 + 13);
  });

  it('splits a range at any point and the parts still add up to the whole', async () => {
    h = new Harness(NOW);
    await h.service.ingestRequests(records());
    const whole = await h.service.getSummary({ from: MINUTE_START, to: NOW });
    const cut = MINUTE_START + 20_000;
    const first = await h.service.getSummary({ from: MINUTE_START, to: cut });
    const second = await h.service.getSummary({ from: cut, to: NOW });
    expect(first.totals.requests + second.totals.requests).toBe(whole.totals.requests);
    expect(first.totals.requests).toBe(2);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { SlidingEdges, type EdgeRow } from '../../../../electron/ledger/store/sliding-edges.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { Harness } from './harness.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 9, 1);

describe('SlidingEdges', () => {
  /** Rows keyed [model, 0, 0, currency], one request each at `ts`, summed per key by a GROUP BY-like read. */
  const requests = Array.from({ length: 600 }, (_, i) => ({ ts: i * 6 * SECOND, model: i % 3, tokens: i }));
  function source() {
    const reads: [number, number][] = [];
    const read = (from: number, to: number): EdgeRow[] => {
      reads.push([from, to]);
      const sums = new Map<number, number[]>();
      for (const r of requests) {
        if (r.ts < from || r.ts >= to) continue;
        const row = sums.get(r.model) ?? [r.model, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        row[4]! += 1;
        row[6]! += r.tokens;
        sums.set(r.model, row);
      }
      return [...sums.values()];
    };
    return { reads, read };
  }
  const sorted = (rows: readonly EdgeRow[]) => [...rows].sort((a, b) => a[0]! - b[0]!);

  it('reads a moved edge only between its old and new ends, and answers what a full read would', () => {
    const { reads, read } = source();
    const edges = new SlidingEdges();
    expect(sorted(edges.rows('q', 0, 1, 20 * MINUTE, HOUR, read))).toEqual(sorted(read(20 * MINUTE, HOUR)));
    reads.length = 0;
    // A second later, as a dashboard asks again: the start moved forward, then back, and the end moved.
    let last: readonly [number, number] = [20 * MINUTE, HOUR];
    for (const [from, to] of [
      [20 * MINUTE + SECOND, HOUR],
      [20 * MINUTE - 5 * SECOND, HOUR],
      [20 * MINUTE - 5 * SECOND, HOUR - 2 * MINUTE],
      [20 * MINUTE + 3 * MINUTE, HOUR - MINUTE],
    ] as const) {
      const answer = edges.rows('q', 0, 1, from, to, read);
      const deltas = reads.splice(0);
      expect(sorted(answer)).toEqual(sorted(read(from, to)));
      reads.length = 0;
      expect(deltas.reduce((sum, [a, b]) => sum + (b - a), 0)).toBe(Math.abs(from - last[0]) + Math.abs(to - last[1]));
      last = [from, to];
    }
  });

  it('reads the whole edge again when the hour changed, when the edge moved far, and for another shape', () => {
    const { reads, read } = source();
    const edges = new SlidingEdges();
    edges.rows('q', 0, 1, 20 * MINUTE, HOUR, read);
    reads.length = 0;
    edges.rows('q', 0, 2, 20 * MINUTE + SECOND, HOUR, read);
    expect(reads).toEqual([[20 * MINUTE + SECOND, HOUR]]);
    reads.length = 0;
    // Moved by more than half the edge's length: a full read is cheaper.
    edges.rows('q', 0, 2, 45 * MINUTE, HOUR, read);
    expect(reads).toEqual([[45 * MINUTE, HOUR]]);
    reads.length = 0;
    edges.rows('other', 0, 2, 45 * MINUTE + SECOND, HOUR, read);
    expect(reads).toEqual([[45 * MINUTE + SECOND, HOUR]]);
  });

  it('drops a key whose requests all left the edge, and never changes rows it handed out', () => {
    const { read } = source();
    const edges = new SlidingEdges();
    // [54 min, 54 min 6 s) holds one request (model 0); with one more second at each end still only it.
    const first = edges.rows('q', 0, 1, 54 * MINUTE - SECOND, 54 * MINUTE + 6 * SECOND, read);
    const copy = first.map((row) => [...row]);
    expect(first).toHaveLength(1);
    const moved = edges.rows('q', 0, 1, 54 * MINUTE + SECOND, 54 * MINUTE + 6 * SECOND, read);
    expect(moved).toEqual([]);
    expect(first.map((row) => [...row])).toEqual(copy);
  });

  it('keeps only the most recently used edges within its row budget, and none bigger than a quarter of it', () => {
    const { reads, read } = source();
    // Each of these edges holds 3 rows (one per model), and counts one more: room for four.
    const edges = new SlidingEdges(16);
    for (const shape of ['a', 'b', 'c', 'd']) edges.rows(shape, 0, 1, 20 * MINUTE, HOUR, read);
    edges.rows('a', 0, 1, 20 * MINUTE + SECOND, HOUR, read);
    edges.rows('e', 0, 1, 20 * MINUTE, HOUR, read);
    expect(edges.size).toBe(4);
    reads.length = 0;
    // 'b' was the least recently used: it went when 'e' came, and is read whole again.
    edges.rows('b', 0, 1, 20 * MINUTE + SECOND, HOUR, read);
    expect(reads).toEqual([[20 * MINUTE + SECOND, HOUR]]);
    reads.length = 0;
    edges.rows('e', 0, 1, 20 * MINUTE + SECOND, HOUR, read);
    expect(reads).toEqual([[20 * MINUTE, 20 * MINUTE + SECOND]]);

    const small = new SlidingEdges(8);
    small.rows('a', 0, 1, 20 * MINUTE, HOUR, read);
    expect(small.size).toBe(0);
  });
});

const K1 = '1111111111111111';

/**
 * A dashboard's reads, repeated every second, against a fresh read each time: over the last three days
 * with minute rollups trimmed (the range starts in raw rows), and over the last 24 hours with minute
 * rollups kept (it starts in minute rows). `edgeStep` is how much of an edge a moved second re-reads:
 * raw rows by the second, minute rows by the minute.
 */
for (const { what, span, trim, edgeStep } of [
  { what: 'a range starting in an hour older than the minute rollups', span: 3 * DAY, trim: true, edgeStep: SECOND },
  { what: 'a range starting in minute rollups of a past hour', span: DAY, trim: false, edgeStep: MINUTE },
]) {
  describe(`${what}, asked for again and again`, () => {
    let h: Harness;
    beforeEach(async () => {
      h = new Harness(DAY0 + 4 * DAY + 10 * HOUR + 17 * MINUTE + 12_345);
      // A request every 20 s for four days: models, projects, hosts and a channel crossed.
      const records: RequestRecordInput[] = Array.from({ length: (4 * DAY) / (20 * SECOND) }, (_, i) => ({
        ts: DAY0 + i * 20 * SECOND + 700,
        model: ['alpha', 'beta', 'gamma'][i % 3]!,
        inputTokens: 10 + (i % 11),
        outputTokens: 1 + (i % 5),
        success: i % 13 !== 0,
        ...(i % 4 === 0 ? {} : { project: ['/src/a', '/src/b', '/src/c'][i % 3]! }),
        ...(i % 5 === 1 ? { channel: K1, apiType: 'openai' as const } : {}),
      }));
      const own = records.filter((_, i) => i % 7 !== 0);
      for (let i = 0; i < own.length; i += 5_000) await h.service.ingestRequests(own.slice(i, i + 5_000));
      await h.service.ingestForwarded({ host: 'gpu-box', requests: records.flatMap((record, i) => (i % 7 === 0 ? [{ ...record, requestId: `gpu-${i}` }] : [])) });
      await h.service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', tiers: [{ maxPromptTokens: null, input: 2, output: 4 }] } });
      if (trim) {
        h.ledger.maintenance.trimMinuteRollups(h.now);
        expect(h.ledger.ctx.coverage.minuteFrom).toBeGreaterThan(h.now - span);
      } else expect(h.ledger.ctx.coverage.minuteFrom).toBeLessThan(h.now - span);
    });
    afterEach(() => h.close());

    /** The reads a dashboard repeats every second (and the two filters). */
    const answers = async (service: LedgerService, now: number) => {
      const range = { from: now - span, to: now };
      return {
        summary: await service.getSummary(range),
        project: await service.getSummary({ ...range, project: '/src/a' }),
        host: await service.getSummary({ ...range, host: 'gpu-box' }),
        byModel: await service.getHistory({ ...range, interval: 86_400, groupBy: 'model' }),
        byProject: await service.getHistory({ ...range, interval: 6 * 3_600, groupBy: 'project' }),
        hourly: await service.getHistory({ ...range, interval: 3_600, metricsKey: K1 }),
      };
    };

    /** The same reads from a second connection that never read before (nothing kept). */
    async function fresh(now: number) {
      const ledger = Ledger.open(h.file, { now: () => now });
      try {
        return await answers(new LedgerService(ledger), now);
      } finally {
        ledger.close();
      }
    }

    it('answers each second as a fresh read does, re-reading only what its start moved by', async () => {
      const stretches: number[] = [];
      const original = SlidingEdges.prototype.rows;
      const spy = vi.spyOn(SlidingEdges.prototype, 'rows').mockImplementation(function (this: SlidingEdges, shape, hour, version, from, to, read) {
        return original.call(this, shape, hour, version, from, to, (a, b) => {
          stretches.push(b - a);
          return read(a, b);
        });
      });
      try {
        // Across a minute boundary: minute edges move then.
        for (let step = 0; step < 4; step++) {
          const answer = await answers(h.service, h.now);
          if (step > 0) {
            // Every edge was moved, none read whole.
            expect(Math.max(0, ...stretches)).toBeLessThanOrEqual(edgeStep);
          }
          expect(answer).toEqual(await fresh(h.now));
          stretches.length = 0;
          h.now += SECOND;
        }
      } finally {
        spy.mockRestore();
      }
    });

    const changes: [string, () => Promise<unknown>][] = [
      [
        'late records land in the edge hour, inside the range and just before it',
        () =>
          h.service.ingestRequests([
            { ts: h.now - span + 20 * MINUTE, model: 'alpha', inputTokens: 5_000, outputTokens: 1, project: '/src/a' },
            { ts: h.now - span - 5 * MINUTE, model: 'beta', inputTokens: 7_000, outputTokens: 1, project: '/src/a' },
          ]),
      ],
      ['a price change re-prices the edge', () => h.service.addPriceVersion({ model: 'beta', version: { method: 'tokens', tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] } })],
      ['a model is deleted', () => h.service.deleteModel({ model: 'alpha' })],
      ['a channel is deleted', () => h.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' })],
    ];

    for (const [what, change] of changes) {
      it(`answers as a fresh read after ${what}`, async () => {
        const before = await answers(h.service, h.now);
        h.now += SECOND;
        await change();
        const after = await answers(h.service, h.now);
        expect(after).toEqual(await fresh(h.now));
        expect(after).not.toEqual(before);
      });
    }
  });
}

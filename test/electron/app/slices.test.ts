import { describe, expect, it } from 'vitest';
import { inSlices } from '../../../electron/app/slices.js';

/** A clock the test moves: each part costs `partMs`, each slice's commit `commitMs` per part it took. */
function simulated(partMs: number, commitMsPerPart: number) {
  let now = 0;
  const slices: { parts: number[]; ms: number }[] = [];
  const run = (parts: number[], sliceMs: number) =>
    inSlices(
      parts,
      sliceMs,
      (take) => {
        const started = now;
        const taken: number[] = [];
        for (let part = take(); part !== undefined; part = take()) {
          taken.push(part);
          now += partMs;
        }
        now += commitMsPerPart * taken.length;
        slices.push({ parts: taken, ms: now - started });
      },
      { clock: () => now },
    );
  return { run, slices };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('inSlices: long writes in slices, the event loop served between them', () => {
  it('hands out every part once, in order, a slice taking parts until its time is used', async () => {
    const { run, slices } = simulated(1, 0);
    await run(range(100), 10);
    expect(slices.flatMap((s) => s.parts)).toEqual(range(100));
    expect(slices.map((s) => s.parts.length)).toEqual(Array(10).fill(10));
  });

  it('runs one slice with no parts when there are none, and a slice that says false ends it', async () => {
    const empty = simulated(1, 0);
    await empty.run([], 10);
    expect(empty.slices).toEqual([{ parts: [], ms: 0 }]);
    let calls = 0;
    await inSlices(range(100), 0, (take) => {
      take();
      return ++calls < 3;
    });
    expect(calls).toBe(3);
  });

  it('always takes one part, however long parts take', async () => {
    const { run, slices } = simulated(50, 0);
    await run(range(4), 10);
    expect(slices.map((s) => s.parts.length)).toEqual([1, 1, 1, 1]);
  });

  it('leaves room for what a slice spends after its parts (its commit): slices settle near their length, not three times it', async () => {
    // Deleting a model: each part's rows took ~1.7 times as long again to commit.
    const { run, slices } = simulated(1, 1.7);
    await run(range(400), 25);
    // The first slice knows nothing yet: 25 ms of parts and 42.5 of commit.
    expect(slices[0]!.ms).toBeCloseTo(67.5, 5);
    const settled = slices.slice(4);
    for (const slice of settled) expect(slice.ms).toBeLessThanOrEqual(25 + 2.7);
    expect(Math.min(...settled.map((s) => s.ms))).toBeGreaterThanOrEqual(25 - 2 * 2.7);
    expect(slices.flatMap((s) => s.parts)).toEqual(range(400));
  });

  it('gives parts the whole slice when nothing comes after them (a preview that writes nothing)', async () => {
    const { run, slices } = simulated(1, 0);
    await run(range(100), 25);
    expect(slices.map((s) => s.parts.length)).toEqual([25, 25, 25, 25]);
  });

  it('says after each slice how many parts are done, all of them after the last (one that ended it early too)', async () => {
    const told: [number, number][] = [];
    let now = 0;
    await inSlices(range(25), 10, (take) => {
      for (let part = take(); part !== undefined; part = take()) now += 1;
    }, { clock: () => now, progress: (done, total) => told.push([done, total]) });
    expect(told).toEqual([[10, 25], [20, 25], [25, 25]]);
    const early: [number, number][] = [];
    await inSlices(range(25), 0, (take) => take() !== 3, { progress: (done, total) => early.push([done, total]) });
    expect(early.at(-1)).toEqual([25, 25]);
  });
});

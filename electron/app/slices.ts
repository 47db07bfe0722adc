import { setImmediate as nextTurn } from 'node:timers/promises';

/** 25 ms: a proxied call or a dashboard read waits at most about that long behind a long write. */
export const DEFAULT_SLICE_MS = 25;
/** Raw rows go 5 minutes at a time: ~1,300 rows of a model at the busiest hour at 10M a month (~17 ms to re-price). */
export const RAW_PART_MS = 5 * 60_000;

/**
 * Hands `parts` out a slice at a time: `slice` takes parts until take() says none (the slice's share of
 * `sliceMs` is used, or none is left), with `between` awaited between slices (at least a turn of the
 * event loop: StoreContext.betweenWrites for slices that write); next() is the first part the slice
 * left. A slice that returns false ends it there. There is always one slice, with no parts when there
 * are none: a write's slice then closes its empty window. `progress` hears after each slice how far it
 * has come (all done after the last, also one that ended it early).
 *
 * What a slice spends after its last part (its commit: writing the pages its parts changed) grows with
 * its parts: deleting a model of 286,000 requests, 25 ms of parts took ~48 ms more to commit, and the
 * event loop waited ~75 ms a slice. So each slice's share of `sliceMs` for parts is what the slices
 * so far left room for: sliceMs x parts' time / (parts' time + what came after).
 */
export async function inSlices<Part>(
  parts: readonly Part[],
  sliceMs: number,
  slice: (take: () => Part | undefined, next: () => Part | undefined) => boolean | void,
  {
    between = () => nextTurn(),
    clock = () => performance.now(),
    progress,
  }: {
    between?: () => Promise<unknown>;
    clock?: () => number;
    /** Told after each slice how many parts are done, of how many. */
    progress?: (done: number, total: number) => void;
  } = {},
): Promise<void> {
  let at = 0;
  /** What came after the parts for each ms of them (smoothed over slices). */
  let afterPerMs = 0;
  do {
    const started = clock();
    const budget = sliceMs / (1 + afterPerMs);
    const first = at;
    let stopped: number | null = null;
    const going = slice(
      () => {
        if (at < parts.length && (at === first || clock() - started < budget)) return parts[at++];
        stopped ??= clock();
        return undefined;
      },
      () => parts[at],
    );
    progress?.(going === false ? parts.length : at, parts.length);
    if (going === false || at >= parts.length) return;
    const work = (stopped ?? started) - started;
    if (work > 0) afterPerMs = (afterPerMs + (clock() - stopped!) / work) / 2;
    await between();
  } while (at < parts.length);
}

import { setImmediate as nextTurn } from 'node:timers/promises';

/** 25 ms: a proxied call or a dashboard read waits at most about that long behind a long write. */
export const DEFAULT_SLICE_MS = 25;
/** Raw rows go 5 minutes at a time: ~1,300 rows of a model at the busiest hour at 10M a month (~17 ms to re-price). */
export const RAW_PART_MS = 5 * 60_000;

/**
 * Hands `parts` out a slice at a time: `slice` takes parts until take() says none (`sliceMs` is used,
 * or none is left), with a turn of the event loop between slices; next() is the first part the slice
 * left. A slice that returns false ends it there. There is always one slice, with no parts when there
 * are none: a write's slice then closes its empty window.
 */
export async function inSlices<Part>(
  parts: readonly Part[],
  sliceMs: number,
  slice: (take: () => Part | undefined, next: () => Part | undefined) => boolean | void,
): Promise<void> {
  let at = 0;
  do {
    const started = performance.now();
    const first = at;
    const going = slice(
      () => (at < parts.length && (at === first || performance.now() - started < sliceMs) ? parts[at++] : undefined),
      () => parts[at],
    );
    if (going === false || at >= parts.length) return;
    await nextTurn();
  } while (at < parts.length);
}

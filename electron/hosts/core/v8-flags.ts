import v8 from 'node:v8';

/**
 * V8 flags for a process that serves the core, set when the core starts. They are process-wide, so
 * the writer and read threads run with them too.
 *
 * `--no-allocation-site-pretenuring`: V8 watches where objects are allocated and, when most of a
 * site's objects outlive a young-generation collection, allocates that site's objects straight into
 * the old generation. Under sustained proxy traffic (64 requests in flight) the per-request objects
 * of the exchange sometimes cross that line. From then on the young objects that these old ones point
 * to survive every scavenge too: ~2.4 MB per scavenge instead of ~0.3 MB, 95 % of it promoted, and
 * each scavenge pauses the event loop for 5-10 ms instead of ~1. The process stays in that state for
 * the rest of the load, at 200-255 µs of CPU per proxied request instead of 128-170 (docs/performance.md,
 * round 14: 5 of 17 runs without the flag went there, none of 14 with it).
 *
 * Node allows flags to change after start (it does not freeze them), and so does Electron's main
 * process, which patches V8's freezing out for the same reason; the flag is read at each collection.
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

export function applyServerV8Flags(): void {
  for (const flag of SERVER_V8_FLAGS) v8.setFlagsFromString(flag);
}

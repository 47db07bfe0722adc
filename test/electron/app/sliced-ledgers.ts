import { afterEach } from 'vitest';
import { Harness } from '../ledger/store/harness.js';

/**
 * Ledgers at `now` for one test file, closed after each test: `sliced(0)` re-prices and deletes one part
 * per transaction, `sliced()` in the default slices.
 */
export function useSlicedLedgers(now: number): (sliceMs?: number) => Harness {
  const open: Harness[] = [];
  afterEach(() => {
    for (const h of open.splice(0)) h.close();
  });
  return (sliceMs) => {
    const h = new Harness(now, sliceMs === undefined ? {} : { repricing: { sliceMs } });
    open.push(h);
    return h;
  };
}

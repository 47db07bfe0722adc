import { afterAll, beforeAll } from 'vitest';

/**
 * Runs the surrounding describe block with the machine's time zone set to `tz`. Node re-reads TZ when
 * it is assigned, and each test file runs in its own process, so other files are not affected.
 */
export function useTimeZone(tz: string): void {
  let previous: string | undefined;
  beforeAll(() => {
    previous = process.env.TZ;
    process.env.TZ = tz;
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  });
}

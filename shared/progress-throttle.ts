/**
 * When a long piece of work should tell how far it has come: the first time, then at most every
 * `everyMs`, and always at the end, so a bar moves smoothly and ends full without an event per step.
 * The export's Save and download and the ledger's long writes all go by it.
 */
export function progressThrottle(everyMs: number, clock: () => number): (final: boolean) => boolean {
  let toldAt: number | null = null;
  return (final) => {
    const now = clock();
    if (!final && toldAt !== null && now - toldAt < everyMs) return false;
    toldAt = now;
    return true;
  };
}

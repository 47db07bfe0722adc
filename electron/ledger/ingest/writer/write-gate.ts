import type { WriteGate } from '../../store/context.js';

/** Atomics.waitAsync (Node 16+), which the project's TypeScript lib (ES2022) does not declare yet. */
type WaitAsync = (
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const LOCK = 0;
const WANT = 1;
const FREE = 0;
/** Int32 cells the two sides share: who holds the turn, and whether the main thread waits for it. */
export const GATE_CELLS = 2;

/**
 * One side of the turn-taking between the main connection and the writer thread's (a WriteGate).
 * The main thread goes first whenever it waits: the thread does not start another transaction while
 * the main thread wants the turn, so a main-thread write (a run heartbeat, a breaker step, a setting)
 * waits for at most the transaction in progress, and wakes when it commits. Waits are bounded: past
 * `maxWaitMs` (a side that died holding the turn) the write goes ahead and SQLite's own locking
 * (busy_timeout) decides, as without a gate.
 */
export class SharedWriteGate implements WriteGate {
  private readonly cells: Int32Array;
  private readonly me: number;
  /** Nesting on this side: a write that entered through enterAsync() enters again inside ctx.write. */
  private depth = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly side: 'main' | 'thread',
    private readonly maxWaitMs = 5_000,
  ) {
    this.cells = new Int32Array(buffer);
    this.me = side === 'main' ? 1 : 2;
  }

  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(GATE_CELLS * Int32Array.BYTES_PER_ELEMENT);
  }

  enter(): void {
    if (this.depth++ > 0) return;
    const { cells } = this;
    const deadline = Date.now() + this.maxWaitMs;
    if (this.side === 'main') Atomics.store(cells, WANT, 1);
    else this.waitWhile(WANT, 1, deadline);
    for (;;) {
      const holder = Atomics.compareExchange(cells, LOCK, FREE, this.me);
      if (holder === FREE) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(cells, LOCK, holder, left);
    }
    this.wanted();
  }

  /**
   * The main thread's way in without blocking its event loop: resolves once the turn is ours (or the
   * wait gave up); the write then runs at once, and its enter() inside ctx.write does not wait again.
   */
  async enterAsync(): Promise<void> {
    if (this.depth > 0) {
      this.depth++;
      return;
    }
    const { cells } = this;
    const deadline = Date.now() + this.maxWaitMs;
    Atomics.store(cells, WANT, 1);
    for (;;) {
      const holder = Atomics.compareExchange(cells, LOCK, FREE, this.me);
      if (holder === FREE) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      const waiting = waitAsync(cells, LOCK, holder, left);
      if (waiting.async) await waiting.value;
    }
    // Counted only now: a synchronous write in the meantime took and gave back the turn by itself.
    this.depth++;
    this.wanted();
  }

  leave(): void {
    if (this.depth === 0 || --this.depth > 0) return;
    // Only a turn actually taken is given back (a wait that gave up took none).
    if (Atomics.compareExchange(this.cells, LOCK, this.me, FREE) === this.me) Atomics.notify(this.cells, LOCK);
  }

  private wanted(): void {
    if (this.side !== 'main') return;
    Atomics.store(this.cells, WANT, 0);
    Atomics.notify(this.cells, WANT);
  }

  /** The thread died: a turn it held is given back (called by the main side). */
  release(side: 'thread'): void {
    Atomics.compareExchange(this.cells, LOCK, side === 'thread' ? 2 : 1, FREE);
    Atomics.notify(this.cells, LOCK);
  }

  private waitWhile(index: number, value: number, deadline: number): void {
    while (Atomics.load(this.cells, index) === value) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      Atomics.wait(this.cells, index, value, left);
    }
  }
}

import type { Ledger } from '../store/ledger.js';
import { toJsonAnswer } from './json-answers.js';
import type { JsonAnswer, ReadCall, ReadResults } from './protocol.js';
import { answerCall } from './read-queries.js';

/**
 * Where the service's heavy reads run: on the main thread (inline), in the read worker, or in a pool
 * of them. All take calls whose input the service already validated and whose range it resolved at
 * `now`, and answer either as data (`run`) or as the JSON text HTTP sends (`runJson`).
 */
export interface ReadExecutor {
  run<C extends ReadCall>(call: C, now: number): Promise<ReadResults[C['op']]>;
  runJson(call: ReadCall, now: number): Promise<JsonAnswer>;
  /**
   * Executors with caches to fill (the worker pool) run `calls` on each thread they have started,
   * answers dropped, so the first dashboard after a start does not pay for it. Resolves whether it
   * warmed anything.
   */
  warm?(calls: readonly ReadCall[], now: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Reads on the calling thread from the writer's own connection (tests, TypeScript sources). */
export class InlineReads implements ReadExecutor {
  constructor(private readonly ledger: Ledger) {}

  // `now` is not needed: the ledger's clock is the one the caller read it from.
  run<C extends ReadCall>(call: C): Promise<ReadResults[C['op']]> {
    try {
      return Promise.resolve(answerCall(this.ledger, call));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  runJson(call: ReadCall): Promise<JsonAnswer> {
    try {
      return Promise.resolve(toJsonAnswer(call, answerCall(this.ledger, call)));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

import { ApiError } from '../../../../shared/errors.js';
import type { LedgerEvent } from '../../../../shared/types.js';
import { useClient } from './context.js';

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError('internal', error instanceof Error ? error.message : String(error));
}

/**
 * One piece of data a view shows, with its loading and error state. A newer load wins over an older
 * one still in flight, so a fast range switch never shows the previous range's answer.
 */
export class Resource<T> {
  /**
   * Raw, not deeply reactive: an answer is replaced whole, never changed in place, and a deep proxy
   * made every read of every bucket and row a tracked signal (a 30-day history holds 1,550 buckets,
   * read by four charts on each live refresh).
   */
  data = $state.raw<T | undefined>(undefined);
  error = $state<ApiError | null>(null);
  loading = $state(false);
  #sequence = 0;

  constructor(private readonly load: () => Promise<T>) {}

  async reload(): Promise<void> {
    const sequence = ++this.#sequence;
    this.loading = true;
    let promise: Promise<T>;
    try {
      promise = this.load();
    } catch (error) {
      promise = Promise.reject(error);
    }
    try {
      const value = await promise;
      if (sequence !== this.#sequence) return;
      this.data = value;
      this.error = null;
    } catch (error) {
      if (sequence !== this.#sequence) return;
      this.error = toApiError(error);
    } finally {
      if (sequence === this.#sequence) this.loading = false;
    }
  }
}

export interface LiveOptions {
  /** Which ledger events make this data stale; every event by default. */
  refreshOn?: (event: LedgerEvent) => boolean;
  /** Also reload on a timer (for figures that move with the clock, like runtime). */
  everyMs?: number;
  /** At most one reload per this many ms while events pour in (1 s by default). */
  throttleMs?: number;
}

/**
 * A Resource that loads when the component mounts, again whenever the reactive values read by
 * `load` change, and again when the ledger announces a change it cares about. While nobody can see
 * the page (its window hidden to the tray, a background tab) those changes are only noted, and one
 * reload catches up when it is seen again. Call it while a component initialises.
 */
export function live<T>(load: () => Promise<T>, options: LiveOptions = {}): Resource<T> {
  const client = useClient();
  const resource = new Resource(load);
  // Live traffic sends an event every second or so: each view reloads at most once a second, however
  // many events arrive in between.
  const throttleMs = options.throttleMs ?? 1_000;

  $effect(() => {
    void resource.reload();
  });

  $effect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    let seen = true;
    let missed = false;
    const schedule = () => {
      if (!seen) {
        missed = true;
        return;
      }
      if (timer) return;
      const wait = Math.max(0, last + throttleMs - Date.now());
      timer = setTimeout(() => {
        timer = null;
        if (!seen) {
          missed = true;
          return;
        }
        last = Date.now();
        void resource.reload();
      }, wait);
    };
    const unwatch = client.onScreen((visible) => {
      seen = visible;
      if (visible && missed) {
        missed = false;
        schedule();
      }
    });
    const unsubscribe = client.subscribe((event) => {
      if (!options.refreshOn || options.refreshOn(event)) schedule();
    });
    const interval = options.everyMs ? setInterval(schedule, options.everyMs) : null;
    return () => {
      unwatch();
      unsubscribe();
      if (timer) clearTimeout(timer);
      if (interval) clearInterval(interval);
    };
  });

  return resource;
}

/**
 * A user-started operation (save, delete, export): whether it is running, its last result and its
 * error, so buttons can show "Working…" and panels the outcome. A second start while one runs is
 * ignored, so a double click never deletes twice.
 */
export class Action<A extends unknown[], T> {
  busy = $state(false);
  error = $state<ApiError | null>(null);
  result = $state<T | undefined>(undefined);

  constructor(private readonly work: (...args: A) => Promise<T>) {}

  /** Answers the result, or undefined when it failed (see `error`) or was already running. */
  async run(...args: A): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    this.error = null;
    this.result = undefined;
    try {
      const value = await this.work(...args);
      this.result = value;
      return value;
    } catch (error) {
      this.error = toApiError(error);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  reset(): void {
    this.error = null;
    this.result = undefined;
  }
}

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
 * While nobody can see the page, a view reloads at most this often: a window hidden to the tray stays
 * nearly current for the moment it is shown (its one catch-up reload then changes little on screen),
 * at a thirtieth of the reads and redraws of a shown one.
 */
export const HIDDEN_THROTTLE_MS = 30_000;

/**
 * A Resource that loads when the component mounts, again whenever the reactive values read by
 * `load` change, and again when the ledger announces a change it cares about. While nobody can see
 * the page (its window hidden to the tray, a background tab) those reloads come at most every
 * HIDDEN_THROTTLE_MS, and one catches up at once when it is seen again. Call it while a component
 * initialises.
 */
export function live<T>(load: () => Promise<T>, options: LiveOptions = {}): Resource<T> {
  const client = useClient();
  const resource = new Resource(load);
  // Live traffic sends an event every second or so: each view reloads at most once a second, however
  // many events arrive in between.
  const throttleMs = options.throttleMs ?? 1_000;
  /** When the last load of any kind started: a hidden page's pace counts from it. */
  let lastLoad = 0;

  $effect(() => {
    lastLoad = Date.now();
    void resource.reload();
  });

  $effect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let due = 0;
    /** When the last reload for a change started: a shown page's pace counts from it. */
    let last = 0;
    let seen = true;
    const schedule = () => {
      const now = Date.now();
      const at = Math.max(now, last + throttleMs, seen ? 0 : lastLoad + HIDDEN_THROTTLE_MS);
      if (timer) {
        // A reload already waits; an earlier turn (the page seen again) takes its place.
        if (at >= due) return;
        clearTimeout(timer);
      }
      due = at;
      timer = setTimeout(() => {
        timer = null;
        last = lastLoad = Date.now();
        void resource.reload();
      }, at - now);
    };
    const unwatch = client.onScreen((visible) => {
      seen = visible;
      if (visible && timer) schedule();
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

import type { TaskProgress } from '../../../../shared/types.js';
import type { ModelMeterClient } from '../transport/client.js';

/**
 * How far a long ledger write this view started has come (a re-pricing, a deletion, a cleanup), from the
 * server's `progress` events. Every view on every window hears every task's progress: `matches` picks
 * the one this view started, so a delete on another tab never moves this view's bar.
 */
export class TaskProgressTracker {
  /** The latest matching progress; null before the first event and once the tracked work ended. */
  progress = $state<TaskProgress | null>(null);
  /** Whether tracked work is in flight: the view shows its line from the start, before any event. */
  running = $state(false);
  #generation = 0;

  constructor(
    private readonly client: Pick<ModelMeterClient, 'subscribe'>,
    private readonly matches: (progress: TaskProgress) => boolean,
  ) {}

  /**
   * Listens while `work` runs and forgets it all afterwards, also when it fails (the failure is
   * rethrown). Pass a function rather than a started call, so no event can come before the subscription.
   */
  async track<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const generation = ++this.#generation;
    this.progress = null;
    this.running = true;
    // A newer track owns the state: an older one still ending must neither write nor clear it.
    const unsubscribe = this.client.subscribe((event) => {
      if (generation === this.#generation && event.type === 'progress' && this.matches(event.progress)) this.progress = event.progress;
    });
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      unsubscribe();
      if (generation === this.#generation) {
        this.progress = null;
        this.running = false;
      }
    }
  }
}

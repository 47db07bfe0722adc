import type { LedgerEvent, TaskProgress } from '../../../../shared/types.js';
import type { ModelMeterClient } from '../transport/client.js';

/**
 * How far the work a view started has come, from the events that tell it (an import's, an export's,
 * a long ledger write's): kept only while the work runs, from what `pick` takes out of the events.
 * Every view on every window hears every event, so `pick` takes only the work this view started.
 */
export class ProgressTracker<P> {
  /** The latest progress picked; null before the first and once the tracked work ended. */
  progress = $state<P | null>(null);
  /** Whether tracked work is in flight: the view shows its line from the start, before any event. */
  running = $state(false);
  #generation = 0;

  constructor(
    private readonly client: Pick<ModelMeterClient, 'subscribe'>,
    private readonly pick: (event: LedgerEvent) => P | null,
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
      if (generation !== this.#generation) return;
      const picked = this.pick(event);
      if (picked !== null) this.progress = picked;
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

/** A long ledger write's progress (re-pricing, a deletion, a cleanup): `matches` picks the one this view started. */
export class TaskProgressTracker extends ProgressTracker<TaskProgress> {
  constructor(client: Pick<ModelMeterClient, 'subscribe'>, matches: (progress: TaskProgress) => boolean) {
    super(client, (event) => (event.type === 'progress' && matches(event.progress) ? event.progress : null));
  }
}

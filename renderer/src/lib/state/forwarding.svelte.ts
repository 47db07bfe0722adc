import type { ApiError } from '../../../../shared/errors.js';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';
import { nextSendingBase, type SendingBase } from './forwarding-status.js';
import { useClient } from './context.js';
import { toApiError } from './resource.svelte.js';

/**
 * Forwarding's status as the server last told it: read once, then kept current by `forwarding`
 * events (which carry the whole status, so no reload per event). A `data` event (settings restored,
 * a reconnect after the server restarted) reads it again. Call while a component initialises.
 */
export class ForwardingState {
  status = $state<ForwardingStatus | undefined>(undefined);
  error = $state<ApiError | null>(null);
  /** Where the current run of sending started (for "1,000 of 3,200"). */
  base = $state<SendingBase | null>(null);
  #sequence = 0;

  constructor(private readonly load: () => Promise<ForwardingStatus>) {}

  /** A status from the server (an answer or an event); a newer one always wins over a read in flight. */
  set(status: ForwardingStatus): void {
    this.#sequence += 1;
    this.base = nextSendingBase(this.base, status);
    this.status = status;
    this.error = null;
  }

  async reload(): Promise<void> {
    const sequence = ++this.#sequence;
    try {
      const status = await this.load();
      if (sequence !== this.#sequence) return;
      this.base = nextSendingBase(this.base, status);
      this.status = status;
      this.error = null;
    } catch (caught) {
      if (sequence === this.#sequence) this.error = toApiError(caught);
    }
  }
}

export function forwardingState(): ForwardingState {
  const client = useClient();
  const state = new ForwardingState(() => client.call('getForwarding'));
  $effect(() => {
    void state.reload();
    return client.subscribe((event) => {
      if (event.type === 'forwarding') state.set(event.status);
      else if (event.type === 'data') void state.reload();
    });
  });
  return state;
}

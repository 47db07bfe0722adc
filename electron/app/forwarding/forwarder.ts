import type { ForwardingState } from '../../../shared/schemas/forwarding.js';
import type { KindCounts, Outbox, OutboxBatch } from '../../ledger/forwarding/outbox.js';

/** Where and as whom this machine forwards. */
export interface ForwardTarget {
  /** The target's base URL without a trailing slash (http://laptop:7423). */
  targetUrl: string;
  token: string;
  hostName: string;
}

export interface ForwarderOptions {
  outbox: Outbox;
  target: ForwardTarget;
  /** Told after every change of what status() answers. */
  onChange: () => void;
  log?: (message: string) => void;
  fetch?: typeof fetch;
  /** Entries per batch at most (and so requests, runs and circuits each); 413 halves it. */
  maxBatch?: number;
  /** How often an idle sender looks at the outbox without being woken (writes from other threads). */
  idlePollMs?: number;
  backoffStartMs?: number;
  backoffMaxMs?: number;
  requestTimeoutMs?: number;
  now?: () => number;
}

export interface ForwarderStatus {
  state: Exclude<ForwardingState, 'off'>;
  waiting: KindCounts;
  unreachableSince: number | null;
  lastError: string | null;
  lastSentAt: number | null;
  sent: KindCounts;
}

const zero = (): KindCounts => ({ requests: 0, runs: 0, circuits: 0 });

/**
 * The sender: reads a batch from the outbox, POSTs it to the target's /api/v1/forward and deletes
 * exactly its entries once the target answered 2xx. One batch in flight at a time (the target's pace
 * is the sender's); failures back off from 1 s doubling to 60 s, a 429/503 waits its Retry-After, a
 * 413 halves the batch, a refused token or a refused batch is "rejected" and retried slowly. Nothing
 * is deleted before it was acknowledged, so a crash or a failed POST loses nothing (the target dedups
 * what is sent twice).
 */
export class Forwarder {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly maxBatch: number;
  private batchSize: number;
  private backoffMs: number;
  private readonly stopper = new AbortController();
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private status: ForwarderStatus;

  constructor(private readonly options: ForwarderOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.maxBatch = options.maxBatch ?? 1_000;
    this.batchSize = this.maxBatch;
    this.backoffMs = this.backoffStart;
    this.status = { state: 'sending', waiting: options.outbox.counts(), unreachableSince: null, lastError: null, lastSentAt: null, sent: zero() };
  }

  get current(): ForwarderStatus {
    return { ...this.status, waiting: { ...this.status.waiting }, sent: { ...this.status.sent } };
  }

  /** The batch size now (413 answers halve it). */
  get batchLimit(): number {
    return this.batchSize;
  }

  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      this.options.log?.(`forwarding stopped: ${(error as Error).message}`);
    });
  }

  /** Ends the loop; a batch in flight is abandoned (its entries stay and are sent again later). */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.wakeUp?.();
    await this.loop;
  }

  /** New data: an idle sender looks now (a sender backing off keeps waiting). */
  wake(added?: Partial<KindCounts>): void {
    if (added) {
      this.status.waiting.requests += added.requests ?? 0;
      this.status.waiting.runs += added.runs ?? 0;
      this.status.waiting.circuits += added.circuits ?? 0;
    }
    this.wakeUp?.();
  }

  private get backoffStart(): number {
    return this.options.backoffStartMs ?? 1_000;
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
      } catch (error) {
        // The database was busy or failed: nothing was deleted, so the next round sends it again.
        if (this.stopped) return;
        this.options.log?.(`forwarding: ${(error as Error).message}`);
        await this.failed('unreachable', `reading the outbox failed: ${(error as Error).message}`);
      }
    }
  }

  /** One round: a backfill chunk, then one batch (or a wait when nothing waits). */
  private async step(): Promise<void> {
    const { outbox } = this.options;
    if (outbox.backfilling) {
      const queued = outbox.backfillStep();
      this.wake(queued);
    }
    const batch = outbox.read(this.batchSize);
    if (batch === null) {
      this.status.waiting = zero();
      if (outbox.backfilling) {
        await new Promise((resolve) => setImmediate(resolve));
        return;
      }
      this.update({ state: this.status.state === 'rejected' || this.status.state === 'unreachable' ? this.status.state : 'idle' });
      await this.sleep(this.options.idlePollMs ?? 5_000, true);
      return;
    }
    // A short read saw the whole outbox: its counts are exact, whatever the counters drifted to.
    if (entryCount(batch.entries) < this.batchSize && !outbox.backfilling) this.status.waiting = { ...batch.entries };
    if (batch.requests.length + batch.runs.length + batch.circuits.length === 0) {
      // Every row it named was deleted before it could be sent.
      this.acknowledged(batch, false);
      return;
    }
    await this.send(batch);
  }

  private async send(batch: OutboxBatch): Promise<void> {
    const { target } = this.options;
    this.update({ state: this.status.state === 'idle' ? 'sending' : this.status.state });
    let response: Response;
    try {
      response = await this.fetch(`${target.targetUrl}/api/v1/forward`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ host: target.hostName, requests: batch.requests, runs: batch.runs, circuits: batch.circuits }),
        signal: AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000)]),
      });
    } catch (error) {
      if (this.stopped) return;
      return this.failed('unreachable', `the target did not answer: ${describe(error)}`);
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      this.acknowledged(batch, true);
      return;
    }
    const message = errorMessage(text);
    if (response.status === 413 && this.batchSize > 1) {
      this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
      this.options.log?.(`forwarding: the target found a batch too large; sending at most ${this.batchSize} items per batch`);
      return;
    }
    if (response.status === 401 || response.status === 403) {
      return this.failed('rejected', `the target refused the token (HTTP ${response.status})`, this.backoffMax);
    }
    if (response.status === 400 || response.status === 413) {
      return this.failed('rejected', `the target refused a batch (HTTP ${response.status}): ${message}`, this.backoffMax);
    }
    const retryAfter = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers.get('retry-after'), this.now()) : null;
    return this.failed('unreachable', `the target answered HTTP ${response.status}${message ? `: ${message}` : ''}`, retryAfter);
  }

  private acknowledged(batch: OutboxBatch, sent: boolean): void {
    const deleted = this.options.outbox.ack(batch);
    const waiting = this.status.waiting;
    waiting.requests = Math.max(0, waiting.requests - deleted.requests);
    waiting.runs = Math.max(0, waiting.runs - deleted.runs);
    waiting.circuits = Math.max(0, waiting.circuits - deleted.circuits);
    if (!sent) return;
    this.status.sent.requests += batch.requests.length;
    this.status.sent.runs += batch.runs.length;
    this.status.sent.circuits += batch.circuits.length;
    this.backoffMs = this.backoffStart;
    this.update({ state: 'sending', lastSentAt: this.now(), unreachableSince: null, lastError: null });
  }

  private async failed(state: 'unreachable' | 'rejected', error: string, waitMs?: number | null): Promise<void> {
    this.update({ state, lastError: error, unreachableSince: this.status.unreachableSince ?? this.now() });
    const wait = waitMs ?? this.backoffMs;
    this.backoffMs = Math.min(this.backoffMax, this.backoffMs * 2);
    await this.sleep(wait, false);
  }

  private get backoffMax(): number {
    return this.options.backoffMaxMs ?? 60_000;
  }

  private update(patch: Partial<ForwarderStatus>): void {
    this.status = { ...this.status, ...patch };
    this.options.onChange();
  }

  /** Resolves after `ms`, on stop, or (when wakeable) on wake(). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopper.signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopper.signal.addEventListener('abort', done);
      if (wakeable) this.wakeUp = done;
    });
  }
}

function entryCount(counts: KindCounts): number {
  return counts.requests + counts.runs + counts.circuits;
}

/** Retry-After in seconds or as an HTTP date; capped at 10 minutes. */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1_000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(600_000, Math.max(0, ms)) : null;
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, 500);
  } catch {
    // not JSON: the text itself, shortened
  }
  return text.slice(0, 200);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.find((inner) => inner.code)?.code;
  if (code) return code;
  return (error as Error).name === 'TimeoutError' ? 'timed out' : ((error as Error).message ?? String(error));
}

import type { RunEventInput } from '../../../shared/schemas/run-event.js';
import type { WatcherStatus } from '../../../shared/types.js';
import type { StoredWatcher } from '../integrations/integration-config.js';
import type { RunReporter } from '../ports.js';
import { describeNetworkError, LauncherError, linkedAbort, sourceFor, StreamUnavailable, type LauncherDriver } from './launcher-http.js';

export interface WatcherTiming {
  /** Longest time between two heartbeats of a run that stays up (the ledger closes silent runs). */
  heartbeatMs: number;
  /** First reconnect delay after a failure; doubles per failure up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_TIMING: WatcherTiming = {
  heartbeatMs: 20_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  requestTimeoutMs: 5_000,
};

export interface LauncherWatcherOptions {
  config: StoredWatcher;
  driver: LauncherDriver;
  service: RunReporter;
  now: () => number;
  timing: WatcherTiming;
  log: (message: string) => void;
  onStatus: () => void;
}

interface OpenRun {
  /** The last moment the launcher said this model was up: where its run ends if nobody sees more. */
  lastSeenAt: number;
  lastBeatAt: number;
}

/**
 * Watches one launcher and turns what it reports into runs. The ledger only ever hears of time
 * somebody saw: a run starts when the model is first seen up and ends at the last moment it was
 * seen up, whether the model went away, the launcher became unreachable, or the app quits.
 */
export class LauncherWatcher {
  readonly source: string;
  private state: WatcherStatus = { state: 'connecting', lastError: null, lastOkAt: null, nextRetryAt: null, models: [] };
  private readonly open = new Map<string, OpenRun>();
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  /** Cleared for good once the launcher turns out to have no event stream. */
  private streaming: boolean;
  private succeededSinceFailure = false;

  constructor(private readonly options: LauncherWatcherOptions) {
    this.source = sourceFor(options.config.kind, options.config.baseUrl);
    this.streaming = options.driver.follow !== undefined;
  }

  get status(): WatcherStatus {
    return this.state;
  }

  start(): void {
    this.running ??= this.loop().catch((error: unknown) => {
      // The loop catches everything it expects; this is the last guard against an unhandled rejection.
      this.options.log(`watcher ${this.describe()}: stopped by an unexpected error: ${String(error)}`);
    });
  }

  /** Stops watching and ends the runs still open at the last moment they were seen. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.running;
    this.stopAll();
    this.setStatus({ state: 'off', lastError: null, lastOkAt: this.state.lastOkAt, nextRetryAt: null, models: [] });
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    await this.closeLeftovers();
    let backoff = this.options.timing.initialBackoffMs;
    while (!signal.aborted) {
      let delay: number;
      try {
        if (this.streaming) {
          await this.followOnce();
          throw new LauncherError(`the event stream from ${this.options.config.baseUrl} ended`);
        }
        const models = await this.options.driver.poll(signal);
        if (signal.aborted) break;
        this.observe(models, this.options.now(), false);
        backoff = this.options.timing.initialBackoffMs;
        const pollMs = this.options.config.pollSeconds * 1000;
        // A run needs a heartbeat at least every heartbeatMs, and only a poll can vouch for one.
        delay = this.open.size > 0 ? Math.min(pollMs, this.options.timing.heartbeatMs) : pollMs;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof StreamUnavailable) {
          this.options.log(`watcher ${this.describe()}: ${error.message}; polling instead`);
          this.streaming = false;
          continue;
        }
        if (this.succeededSinceFailure) backoff = this.options.timing.initialBackoffMs;
        this.succeededSinceFailure = false;
        delay = backoff;
        this.down(describeNetworkError(error, this.options.config.baseUrl), this.options.now() + delay);
        backoff = Math.min(backoff * 2, this.options.timing.maxBackoffMs);
      }
      await sleep(delay, signal);
    }
  }

  /**
   * One connection to an event stream. While it stays quiet a probe every few seconds proves the
   * launcher still answers, moves the runs' last-seen time forward and sends their heartbeats; a
   * probe that fails ends the connection.
   */
  private async followOnce(): Promise<void> {
    const follow = this.options.driver.follow!;
    const connection = linkedAbort(this.stopping.signal);
    const signal = connection.signal;
    let probeFailure: unknown = null;
    let probing = false;
    const probeMs = Math.min(this.options.config.pollSeconds * 1000, this.options.timing.heartbeatMs);
    const timer = setInterval(() => {
      if (probing || this.state.state !== 'up') return;
      probing = true;
      follow
        .probe(signal)
        .then(() => {
          if (!signal.aborted) this.touch(this.options.now());
        })
        .catch((error: unknown) => {
          if (signal.aborted) return;
          probeFailure = error;
          connection.abort();
        })
        .finally(() => {
          probing = false;
        });
    }, probeMs);
    try {
      await follow.stream(signal, (models) => {
        if (!signal.aborted) this.observe(models, this.options.now(), true);
      });
    } catch (error) {
      if (probeFailure !== null) throw probeFailure;
      throw error;
    } finally {
      clearInterval(timer);
      connection.abort();
      connection.dispose();
    }
  }

  /**
   * Applies what the launcher reports up at `at`. `continuous`: the report comes over a live
   * connection, so everything open was still up until this moment.
   */
  private observe(models: readonly string[], at: number, continuous: boolean): void {
    if (continuous) this.touch(at, false);
    const up = new Set(models);
    for (const [model, run] of this.open) {
      if (up.has(model)) continue;
      this.report({ model, event: 'stop', ts: run.lastSeenAt });
      this.open.delete(model);
    }
    for (const model of up) {
      const run = this.open.get(model);
      if (run === undefined) {
        this.report({ model, event: 'start', ts: at });
        this.open.set(model, { lastSeenAt: at, lastBeatAt: at });
      } else {
        run.lastSeenAt = at;
        this.beatIfDue(model, run, at);
      }
    }
    this.succeededSinceFailure = true;
    this.setStatus({ state: 'up', lastError: null, lastOkAt: at, nextRetryAt: null, models: [...up].sort() });
  }

  /** Everything open was seen up at `at`. */
  private touch(at: number, beat = true): void {
    for (const [model, run] of this.open) {
      run.lastSeenAt = Math.max(run.lastSeenAt, at);
      if (beat) this.beatIfDue(model, run, at);
    }
    if (this.state.state === 'up') this.state = { ...this.state, lastOkAt: at };
  }

  private beatIfDue(model: string, run: OpenRun, at: number): void {
    // A tenth of slack: a timer that fires a hair early must not skip a whole interval.
    if (at - run.lastBeatAt < this.options.timing.heartbeatMs * 0.9) return;
    this.report({ model, event: 'heartbeat', ts: run.lastSeenAt });
    run.lastBeatAt = at;
  }

  private down(reason: string, nextRetryAt: number): void {
    this.stopAll();
    this.setStatus({ state: 'down', lastError: reason, lastOkAt: this.state.lastOkAt, nextRetryAt, models: [] });
  }

  private stopAll(): void {
    for (const [model, run] of this.open) this.report({ model, event: 'stop', ts: run.lastSeenAt });
    this.open.clear();
  }

  /**
   * Runs of this source a previous session left open (the app crashed or was killed): nobody
   * watched since their last sighting, so they end there; what runs now starts afresh.
   */
  private async closeLeftovers(): Promise<void> {
    try {
      const runs = await this.options.service.listRuns({ from: this.options.now(), limit: 10_000 });
      for (const run of runs) {
        if (run.running && run.source === this.source && !this.open.has(run.model)) {
          this.report({ model: run.model, event: 'stop', ts: run.lastSeenAt, runId: run.id });
        }
      }
    } catch (error) {
      this.options.log(`watcher ${this.describe()}: could not read open runs: ${String(error)}`);
    }
  }

  private report(event: Omit<RunEventInput, 'source'>): void {
    // reportRun does its work before its first await, so reports keep the order they are made in.
    this.options.service.reportRun({ ...event, source: this.source }).catch((error: unknown) => {
      this.options.log(`watcher ${this.describe()}: could not record ${event.event} of "${event.model}": ${String(error)}`);
    });
  }

  private setStatus(next: WatcherStatus): void {
    const previous = this.state;
    this.state = next;
    const changed =
      previous.state !== next.state ||
      previous.lastError !== next.lastError ||
      previous.nextRetryAt !== next.nextRetryAt ||
      previous.models.join('\n') !== next.models.join('\n');
    // lastOkAt alone moves on every poll; views read it when they refresh for a real change.
    if (changed) this.options.onStatus();
  }

  private describe(): string {
    return `${this.options.config.id} (${this.source})`;
  }
}

/** Waits, or stops waiting as soon as the signal aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

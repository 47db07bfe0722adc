import { HOUR_MS } from '../ledger/time/ranges.js';
import { recordCleanup } from './last-cleanup.js';
import type { LedgerService } from './ledger-service.js';
import { retentionCutoff } from './retention.js';

export interface HousekeepingOptions {
  sweepMs?: number;
  heartbeatMs?: number;
  retentionMs?: number;
  log?: (message: string) => void;
}

/**
 * Background duties of a running core: ModelMeter's own uptime, closing runs whose reporters went
 * silent, and retention (at start and hourly).
 */
export class Housekeeping {
  private timers: NodeJS.Timeout[] = [];
  private programRunId: number | null = null;
  private retentionRunning: Promise<void> | null = null;
  /** Periodic writes waiting for their turn (writeOffLoop), by name; stop() lets them finish. */
  private readonly waiting = new Map<string, Promise<void>>();

  constructor(
    private readonly service: LedgerService,
    private readonly options: HousekeepingOptions = {},
  ) {}

  start(): void {
    const ledger = this.service.ledger;
    this.programRunId = ledger.write(() => ledger.programRuns.start());
    this.sweepStale();
    void this.retention();
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.sweepMs ?? 5_000, () => this.sweepStale());
    every(this.options.heartbeatMs ?? 15_000, () => this.heartbeat());
    every(this.options.retentionMs ?? HOUR_MS, () => void this.retention());
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.retentionRunning;
    // A heartbeat or sweep still waiting for its turn lands before the program run is closed.
    await Promise.all(this.waiting.values());
    if (this.programRunId !== null) {
      const ledger = this.service.ledger;
      const id = this.programRunId;
      ledger.write(() => ledger.programRuns.stop(id));
      this.programRunId = null;
    }
  }

  heartbeat(): void {
    if (this.programRunId === null) return;
    const ledger = this.service.ledger;
    const id = this.programRunId;
    this.writeOffLoop('program heartbeat', () => ledger.programRuns.heartbeat(id), () => {});
  }

  sweepStale(): void {
    const ledger = this.service.ledger;
    this.guard('stale run sweep', () => {
      const staleMs = ledger.settings.get().runStaleSeconds * 1000;
      this.writeOffLoop('stale run sweep', () => ledger.runs.closeStale(staleMs), (closed) => {
        for (const run of closed) this.service.events.emit({ type: 'runs', model: run.model, run });
      });
    });
  }

  /** Raw rows past retention (aligned to the hour) and minute rollups past two days. */
  retention(): Promise<void> {
    if (this.retentionRunning) return this.retentionRunning;
    const ledger = this.service.ledger;
    this.retentionRunning = (async () => {
      try {
        const now = ledger.ctx.now();
        const days = ledger.settings.get().retentionDays;
        const before = retentionCutoff(now, days);
        const removed = await ledger.maintenance.deleteRawBefore(before, () => ledger.ctx.betweenWrites());
        ledger.maintenance.trimMinuteRollups(now);
        // Only a retention run that removed something is worth showing (it runs every hour).
        if (removed > 0) {
          recordCleanup(ledger, { at: now, trigger: 'retention', before, requests: removed });
          this.service.events.emit({ type: 'data', reason: 'cleanup' });
          this.options.log?.(`retention: removed ${removed} request rows older than ${days} days`);
        }
      } catch (error) {
        this.options.log?.(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.retentionRunning = null;
      }
    })();
    return this.retentionRunning;
  }

  /**
   * A periodic write. While the writer thread shares the file (ctx.gate), it waits for the thread's
   * transaction in progress without holding the event loop (writeWhenFree), and a tick whose write is
   * still waiting is skipped; without a thread it runs at once, as before.
   */
  private writeOffLoop<T>(what: string, work: () => T, then: (result: T) => void): void {
    const ctx = this.service.ledger.ctx;
    if (ctx.gate === null) {
      this.guard(what, () => then(ctx.write(work)));
      return;
    }
    if (this.waiting.has(what)) return;
    const done = ctx
      .writeWhenFree(work)
      .then(then)
      .catch((error: unknown) => this.options.log?.(`${what} failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => this.waiting.delete(what));
    this.waiting.set(what, done);
  }

  private guard(what: string, task: () => void): void {
    try {
      task();
    } catch (error) {
      this.options.log?.(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

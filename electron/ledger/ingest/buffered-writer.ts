import type { RequestRecord } from '../../../shared/schemas/request-record.js';

export interface BufferedWriterOptions {
  /** Flush as soon as this many records wait. */
  batchSize?: number;
  /** Flush records at most this long after they arrive. */
  intervalMs?: number;
  /** Records kept across failed flushes; beyond it the oldest are dropped and counted. */
  maxPending?: number;
}

export interface BufferedWriterStats {
  pending: number;
  written: number;
  dropped: number;
  failedFlushes: number;
  lastError: string | null;
}

/**
 * The non-blocking write path for producers inside the process (the metering proxy): add() never
 * waits on the disk. Records are written by size or within a second, requeued (bounded) when a flush
 * fails, and flushed on close. What a crash can lose is what is still in the buffer: at most
 * `intervalMs` worth of records.
 */
export class BufferedWriter {
  private buffer: RequestRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private closed = false;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly maxPending: number;
  readonly stats: BufferedWriterStats = { pending: 0, written: 0, dropped: 0, failedFlushes: 0, lastError: null };

  /** Records handed to an asynchronous write (the writer thread) that has not settled yet. */
  private inFlight = 0;

  constructor(
    /**
     * Writes a batch: synchronously (what it returns is ignored), or by returning a promise that
     * settles once the batch is committed or failed.
     */
    private readonly write: (records: RequestRecord[]) => unknown,
    options: BufferedWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1_000;
    this.intervalMs = options.intervalMs ?? 1_000;
    this.maxPending = options.maxPending ?? 100_000;
  }

  add(record: RequestRecord): void {
    if (this.closed) throw new Error('the buffered writer is closed');
    this.buffer.push(record);
    this.trim();
    if (this.buffer.length >= this.batchSize) {
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Writes what is buffered; on failure keeps it for the next try. Returns whether it succeeded, or,
   * for an asynchronous write, whether the batch was handed over (a later failure requeues it).
   */
  flush(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return true;
    const batch = this.buffer;
    this.buffer = [];
    try {
      const done = this.write(batch);
      if (done instanceof Promise) {
        this.inFlight += batch.length;
        this.trim();
        done.then(
          () => {
            this.inFlight -= batch.length;
            this.stats.written += batch.length;
            this.trim();
          },
          (error: unknown) => {
            this.inFlight -= batch.length;
            this.failed(batch, error);
          },
        );
        return true;
      }
      this.stats.written += batch.length;
      this.stats.pending = this.buffer.length;
      return true;
    } catch (error) {
      this.failed(batch, error);
      return false;
    }
  }

  private failed(batch: RequestRecord[], error: unknown): void {
    this.stats.failedFlushes++;
    this.stats.lastError = error instanceof Error ? error.message : String(error);
    this.buffer = batch.concat(this.buffer);
    this.trim();
    if (!this.closed && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  close(): boolean {
    const ok = this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return ok;
  }

  private trim(): void {
    const excess = this.buffer.length - this.maxPending;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.stats.dropped += excess;
    }
    this.stats.pending = this.buffer.length + this.inFlight;
  }
}

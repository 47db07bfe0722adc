import { watch, type FSWatcher } from 'node:fs';
import type { AgentProgress } from '../../../../shared/schemas/agents.js';
import type { AgentSourcePorts } from '../../ports.js';
import type { AgentId } from '../format.js';
import type { RootState } from './discover.js';
import { RecordBatch } from './record-batch.js';

export interface FollowTiming {
  /** How often the folders are looked at again (the fallback when file events do not come). */
  pollMs: number;
  /** A file unchanged for this long is "quiet": its held-back records are final and its cursor is saved. */
  quietMs: number;
  /** Progress reports at most this often. */
  progressMs: number;
  /** A burst of file events is answered once, this long after the first. */
  debounceMs: number;
}

// quietMs: a content block of a long answer can stream for many seconds between two copies of its
// message; flushing before its final copy would keep a short usage (the later copy is a duplicate).
export const DEFAULT_FOLLOW_TIMING: FollowTiming = { pollMs: 3_000, quietMs: 30_000, progressMs: 250, debounceMs: 200 };

export interface FollowerOptions {
  ports: AgentSourcePorts;
  roots: string[];
  timing?: Partial<FollowTiming>;
  log?: (message: string) => void;
  /** Receives the progress (throttled); the manager turns it into `agents` events. */
  onProgress?: (progress: AgentProgress) => void;
  /** Use file-system events to notice changes sooner (default true); polling runs regardless. */
  watch?: boolean;
}

/** The progress with the totals the listing shows. */
export type FollowerProgress = AgentProgress & { files: number; bytes: number };

/**
 * What every agent follower shares: a first pass that imports the backlog (progress: files and
 * bytes), then passes on every file event and every `pollMs`, one at a time. A pass that fails puts
 * the follower in the error state and is retried at the next poll from the stored cursors.
 */
export abstract class Follower {
  readonly agent: AgentId;
  protected readonly ports: AgentSourcePorts;
  protected readonly roots: string[];
  protected readonly timing: FollowTiming;
  protected readonly log: (message: string) => void;
  protected readonly batch: RecordBatch;
  protected rootStates: RootState[] = [];
  protected closing = false;
  readonly progress: FollowerProgress = {
    state: 'importing',
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    records: 0,
    message: null,
    files: 0,
    bytes: 0,
  };
  /** What was read, for tests and the benchmark: a restart that resumes reads only what is new. */
  readonly counters = { bytesRead: 0, linesRead: 0 };
  private readonly onProgress: (progress: AgentProgress) => void;
  private readonly useWatch: boolean;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private lastReport = 0;
  private lastKey = '';
  private readonly watchers = new Map<string, FSWatcher>();
  private firstPass: Promise<void> | null = null;

  constructor(agent: AgentId, options: FollowerOptions) {
    this.agent = agent;
    this.ports = options.ports;
    this.roots = options.roots;
    this.timing = { ...DEFAULT_FOLLOW_TIMING, ...options.timing };
    this.log = options.log ?? (() => {});
    this.onProgress = options.onProgress ?? (() => {});
    this.useWatch = options.watch ?? true;
    this.batch = new RecordBatch(this.ports, agent, this.log);
  }

  /** One look at the files: read what is new, checkpoint what is quiet. */
  protected abstract pass(initial: boolean): Promise<void>;

  /** Forget in-memory positions after a failure (the next pass resumes from stored cursors). */
  protected reset(): void {}

  protected now(): number {
    return Date.now();
  }

  get folders(): RootState[] {
    return this.rootStates;
  }

  /** Starts the backlog import; resolves when it is done (following goes on until close). */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.firstPass = this.run(true);
    }
    return this.firstPass ?? Promise.resolve();
  }

  /** Runs a pass now (after the one in progress), as a file event would; resolves when it is done. */
  poke(): Promise<void> {
    if (this.closing || !this.started) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running.then(() => this.running ?? Promise.resolve());
    }
    return this.run(false);
  }

  /** Stops following; what was committed stays, held-back records are read again at the next start. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.running?.catch(() => {});
    // Records already final are committed; the cursor stays where the last quiet moment left it.
    await this.batch.flush().catch((error: unknown) => this.log(`${this.agent}: ${String(error)}`));
    this.progress.state = 'off';
    this.report(true);
  }

  private run(initial: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const work = (async () => {
      try {
        await this.pass(initial);
        if (this.closing) return;
        this.progress.state = 'following';
        this.progress.message = null;
      } catch (error) {
        if (this.closing) return;
        this.batch.discard();
        this.reset();
        this.progress.state = 'error';
        this.progress.message = error instanceof Error ? error.message : String(error);
        this.log(`${this.agent}: ${this.progress.message}`);
      }
      this.progress.filesDone = Math.max(this.progress.filesDone, this.progress.filesTotal);
      this.progress.bytesTotal = Math.max(this.progress.bytesTotal, this.progress.bytesDone);
      this.report(true);
      this.watchRoots();
    })();
    this.running = work.finally(() => {
      this.running = null;
      if (this.closing) return;
      if (this.again) {
        this.again = false;
        void this.run(false);
      } else {
        this.schedule(this.timing.pollMs);
      }
    });
    return this.running;
  }

  private schedule(delay: number): void {
    if (this.closing || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(false);
    }, delay);
    this.timer.unref();
  }

  /** File events make a pass come sooner; a root that cannot be watched is simply polled. */
  private watchRoots(): void {
    if (!this.useWatch || this.closing) return;
    for (const root of this.rootStates) {
      if (!root.exists || this.watchers.has(root.path)) continue;
      try {
        const watcher = watch(root.path, { recursive: true, persistent: false }, () => {
          if (this.running) this.again = true;
          else this.schedule(this.timing.debounceMs);
        });
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(root.path);
        });
        this.watchers.set(root.path, watcher);
      } catch {
        // Recursive watching is not available everywhere: polling covers it.
      }
    }
  }

  /**
   * Sends the progress, at most every progressMs unless `force`, and never twice the same: a quiet
   * poll every few seconds must not wake every open view.
   */
  protected report(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastReport < this.timing.progressMs) return;
    this.progress.records = this.batch.accepted;
    const { state, filesDone, filesTotal, bytesDone, bytesTotal, records, message } = this.progress;
    const progress = { state, filesDone, filesTotal, bytesDone, bytesTotal, records, message };
    const key = JSON.stringify(progress);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.lastReport = now;
    this.onProgress(progress);
  }
}

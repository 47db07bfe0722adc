import fs from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ApiError } from '../../../../shared/errors.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';
import type { RunEvent } from '../../../../shared/schemas/run-event.js';
import type { Run } from '../../../../shared/types.js';
import type { CatalogueMatcher } from '../../pricing/catalogue.js';
import { decodeError } from '../../reads/protocol.js';
import { CHECKPOINT_PAGES, CHECKPOINT_PAGES_BESIDE_THREAD } from '../../store/database.js';
import type { Checkpointer } from '../../store/context.js';
import type { Ledger } from '../../store/ledger.js';
import type { WriteResult } from '../../store/request-writer.js';
import type { GroupCommitWriter } from '../group-commit.js';
import { batchTransferList, encodeBatch } from './batch-codec.js';
import { SharedWriteGate } from './write-gate.js';
import { calendarById, SIGNAL_INDEX, type WriteMessage, type WriteWorkerData, type WriterMessage } from './protocol.js';

export interface WriteWorkerOptions {
  /** The main connection: its file, durability, calendar and catalogue are the thread's. */
  ledger: Ledger;
  /** The compiled worker entry; see compiledWriteWorker(). */
  workerUrl: URL;
  /** Electron's better-sqlite3 build, passed on to the thread's connection. */
  nativeBinding?: string;
  /** How many nice steps the thread goes below the process on Linux (background-priority.ts); absent: none. */
  nice?: number;
  /** The inline path: used when the thread cannot run at all, and after close(). */
  fallback: GroupCommitWriter;
  /** Told of every transaction's committed batches, as the inline path's onCommit is. */
  onCommit(results: WriteResult[]): void;
  log?: (message: string) => void;
  /** How long flush() waits for the thread at most (it blocks the main thread: shutdown only). */
  drainTimeoutMs?: number;
}

/** A thread that died this many times in a row without committing anything is not started again. */
export const MAX_WRITER_CRASHES = 3;

/**
 * The compiled writer thread next to this file, or null when running from TypeScript sources (tests),
 * where a worker thread cannot load the entry.
 */
export function compiledWriteWorker(): URL | null {
  if (!import.meta.url.endsWith('.js')) return null;
  const url = new URL('./write-worker.js', import.meta.url);
  return fs.existsSync(fileURLToPath(url)) ? url : null;
}

/** Why the thread cannot serve this ledger (then the inline path is used), or null when it can. */
export function writeWorkerUnusable(ledger: Ledger): string | null {
  if (ledger.db.memory) return 'the database is in memory';
  if (ledger.db.readonly) return 'the database is read-only';
  if (calendarById(ledger.ctx.calendar.id) === null) return `the calendar ${ledger.ctx.calendar.id} cannot be rebuilt in a thread`;
  return null;
}

interface Pending {
  /**
   * The same work on the main connection, for a thread that never opened its own; null when the
   * thread was ready when the work was sent (then it is never needed).
   */
  inline: (() => Promise<unknown>) | null;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The committed write path with its transactions in the writer thread (write-worker.ts): submit()
 * resolves once the thread committed the batch (fsync included), so an HTTP 2xx still means
 * committed, while the main thread's event loop never waits for the disk.
 *
 * If the thread dies with batches in hand, they are rejected (`unavailable`: the client sends them
 * again; a requestId makes that safe even if the commit had happened) and the next batch starts a new
 * thread. A thread that never opened its connection is not retried: its batches, and all later ones,
 * go to the inline path (logged once); so do they after MAX_WRITER_CRASHES deaths in a row.
 */
export class WriteWorkerClient implements Checkpointer {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly gateCells = SharedWriteGate.buffer();
  private readonly gate = new SharedWriteGate(this.gateCells, 'main');
  private ready = false;
  private readonly pending = new Map<number, Pending>();
  /** Checkpoints asked of the thread, by message id: each resolves when it answers, or dies. */
  private readonly checkpoints = new Map<number, () => void>();
  private next = 1;
  private crashes = 0;
  private inline = false;
  private closed = false;
  /** The catalogue matcher the thread prices with (undefined: not started). */
  private sentCatalogue: CatalogueMatcher | null | undefined = undefined;

  constructor(private readonly options: WriteWorkerOptions) {
    this.start();
  }

  /** Whether batches go to the thread (false once it gave up, or after close()). */
  get usingWorker(): boolean {
    return !this.inline && !this.closed;
  }

  submit(records: RequestRecord[]): Promise<WriteResult> {
    if (this.inline || this.closed) return this.options.fallback.submit(records);
    if (this.worker === null) this.start();
    const port = this.port!;
    // A catalogue replaced on the main connection prices every batch sent from now on.
    const catalogue = this.options.ledger.ctx.catalogue;
    if (catalogue !== this.sentCatalogue) {
      port.postMessage({ type: 'catalogue', data: catalogue?.data ?? null } satisfies WriteMessage);
      this.sentCatalogue = catalogue;
    }
    // Once the thread is up the records are not needed here again (a thread that dies after that
    // fails the batch; only one that never opened its connection hands it to the inline path), so
    // they are not kept alive until the commit answers: a batch in flight survives no scavenge.
    const inline = this.ready ? null : () => this.options.fallback.submit(records);
    const batch = encodeBatch(records);
    return this.send<WriteResult>(inline, (id) => ({ type: 'batch', id, now: this.options.ledger.ctx.now(), records: batch }), batchTransferList(batch));
  }

  /**
   * Commits a validated run event in the thread (resolves with the run as stored), so a launcher's
   * heartbeat costs the main thread no fsync; `inline` does it on the main connection where the
   * thread is not in use.
   */
  reportRun(event: RunEvent, inline: () => Promise<Run>): Promise<Run> {
    if (this.inline || this.closed) return inline();
    if (this.worker === null) this.start();
    return this.send<Run>(inline, (id) => ({ type: 'run', id, now: this.options.ledger.ctx.now(), event }));
  }

  private send<T>(inline: (() => Promise<T>) | null, message: (id: number) => WriteMessage, transfer: ArrayBuffer[] = []): Promise<T> {
    const port = this.port!;
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { inline, resolve: resolve as (value: unknown) => void, reject });
      // Keep the process alive while a commit is due, and only then.
      if (this.pending.size === 1) this.hold(true);
      port.postMessage(message(id), transfer);
    });
  }

  /**
   * Waits, blocking the main thread, until every batch sent so far is committed and answered (their
   * promises settle and their events go out), then commits what the inline path holds. For shutdown,
   * before the ledger closes; bounded by drainTimeoutMs.
   */
  flush(): void {
    this.waitFor(() => this.pending.size === 0);
    if (this.pending.size > 0) this.failPending(new ApiError('unavailable', 'the writer thread did not answer before shutdown; send the records again'));
    this.options.fallback.flush();
  }

  /** The thread's checkpoint (Checkpointer); a turn of the event loop when no thread is ready (the main connection checkpoints then). */
  checkpoint(): Promise<void> {
    if (!this.ready || this.port === null || this.closed) return nextTurn();
    const id = this.next++;
    return new Promise<void>((resolve) => {
      this.checkpoints.set(id, resolve);
      this.port!.postMessage({ type: 'checkpoint', id } satisfies WriteMessage);
    });
  }

  /** Drains, closes the thread's connection and ends it; later batches take the inline path. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const worker = this.worker;
    if (worker === null) return;
    let closed = false;
    this.onClosed = () => (closed = true);
    this.port!.postMessage({ type: 'close' } satisfies WriteMessage);
    this.waitFor(() => closed);
    this.worker = null;
    this.options.ledger.ctx.gate = null;
    this.checkpointsInThread(false);
    this.port?.close();
    this.port = null;
    if (!closed) void worker.terminate();
  }

  /**
   * Whether the thread checkpoints for the main connection (Checkpointer), which then leaves it the WAL
   * but for one 4 times the usual size (a deletion's or re-pricing's slices committed here each paid a
   * checkpoint of ~16 MB now and then, ~25-30 ms more of the event loop). Off: the main connection
   * checkpoints as usual again, and whoever waits for the thread's checkpoint goes on.
   */
  private checkpointsInThread(on: boolean): void {
    const { db, ctx } = this.options.ledger;
    if (db.open) db.pragma(`wal_autocheckpoint = ${on ? CHECKPOINT_PAGES_BESIDE_THREAD : CHECKPOINT_PAGES}`);
    if (on) {
      ctx.checkpointer = this;
      return;
    }
    if (ctx.checkpointer === this) ctx.checkpointer = null;
    const waiting = [...this.checkpoints.values()];
    this.checkpoints.clear();
    for (const resolve of waiting) resolve();
  }

  private onClosed: () => void = () => {};

  private waitFor(done: () => boolean): void {
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 30_000);
    while (!done() && this.port !== null) {
      const seen = Atomics.load(this.signal, SIGNAL_INDEX);
      for (let message = receiveMessageOnPort(this.port); message; message = this.port && receiveMessageOnPort(this.port)) {
        this.receive(message.message as WriterMessage);
      }
      if (done()) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      // A thread that died cannot notify: wake now and then to give up at the deadline.
      Atomics.wait(this.signal, SIGNAL_INDEX, seen, Math.min(left, 200));
    }
  }

  private start(): void {
    const data = this.workerData();
    const worker = new Worker(this.options.workerUrl, { workerData: data, transferList: [data.port] });
    this.worker = worker;
    this.ready = false;
    // From now on the main connection's writes take turns with the thread's, and it checkpoints for both.
    this.options.ledger.ctx.gate = this.gate;
    this.checkpointsInThread(true);
    worker.unref();
    this.port!.on('message', (message: WriterMessage) => this.receive(message));
    this.port!.unref();
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the writer thread exited with code ${code}`)));
  }

  private workerData(): WriteWorkerData {
    const { ledger, nativeBinding, nice } = this.options;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const catalogue = ledger.ctx.catalogue;
    this.sentCatalogue = catalogue;
    return {
      file: ledger.db.name,
      durability: ledger.db.pragma('synchronous', { simple: true }) === 2 ? 'full' : 'normal',
      calendar: ledger.ctx.calendar.id,
      catalogue: catalogue?.data ?? null,
      signal: this.signal.buffer as SharedArrayBuffer,
      gate: this.gateCells,
      port: port2,
      ...(nativeBinding ? { nativeBinding } : {}),
      ...(nice ? { nice } : {}),
    };
  }

  private hold(on: boolean): void {
    if (on) {
      this.worker?.ref();
      this.port?.ref();
    } else {
      this.worker?.unref();
      this.port?.unref();
    }
  }

  private receive(message: WriterMessage): void {
    if (message.type === 'ready') {
      this.ready = true;
      return;
    }
    if (message.type === 'closed') {
      this.onClosed();
      return;
    }
    if (message.type === 'checkpointed') {
      this.checkpoints.get(message.id)?.();
      this.checkpoints.delete(message.id);
      return;
    }
    if (message.type === 'run') {
      const { outcome } = message;
      const waiting = this.pending.get(outcome.id);
      if (!waiting) return;
      this.pending.delete(outcome.id);
      this.crashes = 0;
      if (this.pending.size === 0) this.hold(false);
      if (outcome.ok) waiting.resolve(outcome.run);
      else waiting.reject(decodeError(outcome.error));
      return;
    }
    const committed: WriteResult[] = [];
    const settle: (() => void)[] = [];
    for (const outcome of message.outcomes) {
      const waiting = this.pending.get(outcome.id);
      if (!waiting) continue;
      this.pending.delete(outcome.id);
      if (outcome.ok) {
        committed.push(outcome.result);
        settle.push(() => waiting.resolve(outcome.result));
      } else {
        settle.push(() => waiting.reject(decodeError(outcome.error)));
      }
    }
    this.crashes = 0;
    if (this.pending.size === 0) this.hold(false);
    for (const done of settle) done();
    if (committed.length > 0) this.options.onCommit(committed);
  }

  private lost(worker: Worker, error: Error): void {
    // 'error' is followed by 'exit': handle the first one only, and none after close().
    if (this.worker !== worker || this.closed) return;
    // Commits the thread answered before it died are still in the port: settle them first.
    if (this.port) for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) this.receive(message.message as WriterMessage);
    this.worker = null;
    this.port?.close();
    this.port = null;
    this.sentCatalogue = undefined;
    // A turn the thread held when it died is not coming back; nor are its checkpoints.
    this.gate.release('thread');
    this.checkpointsInThread(false);
    const log = this.options.log ?? (() => {});
    if (!this.ready) {
      this.options.ledger.ctx.gate = null;
      // Nothing was committed there: the batches can be written here, and starting again would fail again.
      this.inline = true;
      log(`writer thread could not start (${describe(error)}); committing requests on the main thread`);
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const work of waiting) {
        if (work.inline) work.inline().then(work.resolve, work.reject);
        else work.reject(new ApiError('unavailable', 'the writer thread stopped before committing; send the records again'));
      }
      return;
    }
    this.crashes++;
    log(`writer thread stopped (${describe(error)})`);
    this.failPending(new ApiError('unavailable', 'the writer thread stopped before committing; send the records again'));
    if (this.crashes >= MAX_WRITER_CRASHES) {
      this.inline = true;
      this.options.ledger.ctx.gate = null;
      log(`writer thread stopped ${this.crashes} times in a row; committing requests on the main thread`);
    }
  }

  private failPending(error: ApiError): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.hold(false);
    for (const batch of waiting) batch.reject(error);
  }
}

/** An error from the thread as a line: what a worker's 'error' event carries may have lost its class (and message) on the way. */
function describe(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return [code, message].filter((part) => typeof part === 'string' && part !== '').join(': ') || String(error);
}

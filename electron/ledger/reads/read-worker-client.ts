import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ApiError } from '../../../shared/errors.js';
import { recyclable } from './answer-buffers.js';
import { decodeError, type AnswerForm, type JsonAnswer, type JsonBytes, type MainMessage, type ReadCall, type ReadResults, type ReadWorkerData, type WorkerMessage } from './protocol.js';
import type { ReadExecutor } from './reads.js';

export interface ReadWorkerOptions {
  /** The database file the writer has open (its schema already migrated). */
  file: string;
  /** The compiled worker entry; see compiledReadWorker(). */
  workerUrl: URL;
  /** Electron's better-sqlite3 build, passed on to the worker's connection. */
  nativeBinding?: string;
  /** How many nice steps the worker goes below the process on Linux (background-priority.ts); absent: none. */
  nice?: number;
  /** Answers when the worker cannot run at all (cannot start, or keeps dying). */
  fallback: ReadExecutor;
  log?: (message: string) => void;
  /** Called each time a worker (the first, or one started after a crash) has its connection open. */
  onReady?: () => void;
}

/** A worker that died this many times in a row without answering anything is not started again. */
export const MAX_CRASHES = 3;

/**
 * The compiled read worker next to this file, or null when running from TypeScript sources (tests),
 * where a worker thread cannot load the entry.
 */
export function compiledReadWorker(): URL | null {
  if (!import.meta.url.endsWith('.js')) return null;
  const url = new URL('./read-worker.js', import.meta.url);
  return fs.existsSync(fileURLToPath(url)) ? url : null;
}

interface Pending {
  call: ReadCall;
  now: number;
  form: AnswerForm;
  resolve(value: never): void;
  reject(error: Error): void;
}

/**
 * Sends read calls to a worker thread (read-worker.ts) and hands back its answers, errors included
 * with the ApiError code, message and details the inline call would have thrown.
 *
 * If the worker dies while calls are with it, those calls fail with `unavailable` rather than being
 * run again on the main thread: what killed the worker (memory, a native fault) could take the writer
 * down with it. The next call starts a new worker. A worker that never gets its connection open (no
 * usable addon, a packaging problem) is not retried: reads go to `fallback` from then on, logged once;
 * so do they after MAX_CRASHES deaths in a row without an answer.
 */
export class ReadWorkerClient implements ReadExecutor {
  private worker: Worker | null = null;
  private ready = false;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private crashes = 0;
  private inline = false;
  private closed = false;

  constructor(private readonly options: ReadWorkerOptions) {
    this.start();
  }

  /** Whether calls go to the worker (false once it gave up and reads run on the main thread). */
  get usingWorker(): boolean {
    return !this.inline && !this.closed;
  }

  /** Whether the worker has its connection open and answers (a new one takes ~0.5 s to get there). */
  get isReady(): boolean {
    return this.ready && this.worker !== null;
  }

  /** A worker thread started and not yet answering (one that died is started again by the next call). */
  get isStarting(): boolean {
    return this.worker !== null && !this.ready;
  }

  /** Calls sent to the worker and not answered yet (the pool sends to the least busy). */
  get inFlight(): number {
    return this.pending.size;
  }

  run<C extends ReadCall>(call: C, now: number): Promise<ReadResults[C['op']]> {
    if (this.inline || this.closed) return this.options.fallback.run(call, now);
    return this.send(call, now, 'object');
  }

  runJson(call: ReadCall, now: number): Promise<JsonAnswer> {
    if (this.inline || this.closed) return this.options.fallback.runJson(call, now);
    return this.send(call, now, 'json');
  }

  private send<T>(call: ReadCall, now: number, form: AnswerForm): Promise<T> {
    const worker = this.worker ?? this.start();
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { call, now, form, resolve: resolve as (value: never) => void, reject });
      // Keep the process alive while an answer is due, and only then (see start()).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, now, call, form } satisfies MainMessage);
    });
  }

  /** Lets the worker answer what it was sent, then closes its connection and ends it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close' satisfies MainMessage);
    // A worker stuck in a long query is not waited for beyond this.
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
    this.worker = null;
    this.failPending(new ApiError('unavailable', 'ModelMeter is shutting down'));
  }

  private start(): Worker {
    const { file, nativeBinding, nice } = this.options;
    const data: ReadWorkerData = { file, ...(nativeBinding ? { nativeBinding } : {}), ...(nice ? { nice } : {}) };
    const worker = new Worker(this.options.workerUrl, { workerData: data });
    this.worker = worker;
    this.ready = false;
    // An idle worker must not keep a process alive that has nothing else to do.
    worker.unref();
    worker.on('message', (message: WorkerMessage) => this.receive(message));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the read worker exited with code ${code}`)));
    return worker;
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'ready') {
      this.ready = true;
      this.options.onReady?.();
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    this.crashes = 0;
    if (this.pending.size === 0) this.worker?.unref();
    if (message.ok) waiting.resolve(this.fromWire(message.value) as never);
    else waiting.reject(decodeError(message.error));
  }

  /**
   * A transferred answer in bytes as the JsonAnswer it stands for (a Buffer over the same memory);
   * a big one can be handed back to the worker that wrote it, once sent.
   */
  private fromWire(value: unknown): unknown {
    if (typeof value !== 'object' || value === null || !('jsonBytes' in value)) return value;
    const bytes = (value as JsonBytes).jsonBytes;
    const json = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const worker = this.worker;
    if (!recyclable(bytes.buffer)) return { json } satisfies JsonAnswer;
    let released = false;
    const release = () => {
      // Only to the worker it came from, still running: a new one would keep memory it never lent.
      if (released || worker === null || worker !== this.worker || this.closed) return;
      released = true;
      worker.postMessage({ recycle: bytes.buffer as ArrayBuffer } satisfies MainMessage, [bytes.buffer as ArrayBuffer]);
    };
    return { json, release } satisfies JsonAnswer;
  }

  private lost(worker: Worker, error: Error): void {
    // 'error' is followed by 'exit': handle the first one only, and none after close().
    if (this.worker !== worker || this.closed) return;
    this.worker = null;
    const log = this.options.log ?? (() => {});
    if (!this.ready) {
      // Nothing ran there yet: the calls can be answered here, and starting again would fail again.
      this.inline = true;
      log(`read worker could not start (${error.message}); answering reads on the main thread`);
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const call of waiting) {
        const answer = call.form === 'json' ? this.options.fallback.runJson(call.call, call.now) : this.options.fallback.run(call.call, call.now);
        answer.then(call.resolve as (value: unknown) => void, call.reject);
      }
      return;
    }
    this.crashes++;
    log(`read worker stopped (${error.message})`);
    this.failPending(new ApiError('unavailable', 'the read worker stopped while answering; try again'));
    if (this.crashes >= MAX_CRASHES) {
      this.inline = true;
      log(`read worker stopped ${this.crashes} times in a row; answering reads on the main thread`);
    }
  }

  private failPending(error: ApiError): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const call of waiting) call.reject(error);
  }
}

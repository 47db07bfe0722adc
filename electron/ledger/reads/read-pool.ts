import os from 'node:os';
import type { JsonAnswer, ReadCall, ReadResults } from './protocol.js';
import { ReadWorkerClient, type ReadWorkerOptions } from './read-worker-client.js';
import type { ReadExecutor } from './reads.js';

/** The most read workers a pool may have: each holds a connection, its page cache and a heap. */
export const MAX_READ_WORKERS = 8;

/** The environment variable that sets the pool's size (1..MAX_READ_WORKERS). */
export const READ_WORKERS_ENV = 'MODELMETER_READ_WORKERS';

/**
 * How many read workers to allow: `MODELMETER_READ_WORKERS` when set, else one per core up to 2 (a
 * dashboard's two big histories then run side by side, and the main thread keeps a core on bigger
 * machines too). A value that is not a whole number in range is refused with its name.
 */
export function readWorkerCount(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): number {
  const raw = env[READ_WORKERS_ENV];
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(2, cores));
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_READ_WORKERS) {
    throw new Error(`${READ_WORKERS_ENV} must be a whole number from 1 to ${MAX_READ_WORKERS}, not "${raw}"`);
  }
  return count;
}

export interface ReadPoolOptions extends ReadWorkerOptions {
  /** The most workers started (1..MAX_READ_WORKERS); see readWorkerCount(). */
  size: number;
}

/**
 * Several read workers, each with its own read-only connection, so a dashboard's parallel calls do
 * not queue behind one big history. A call goes to an idle worker, else a new one is started while
 * the pool is below its size, else it goes to the worker with the fewest calls in flight. The first
 * worker starts at once, the others when the load first needs them: a server that never gets
 * parallel reads keeps one worker's memory.
 *
 * Each worker keeps ReadWorkerClient's rules: one that dies fails its calls with `unavailable` and is
 * started again on the next call; one that cannot start hands its calls to the fallback, and the pool
 * then starts no more (a packaging problem hits every worker alike).
 */
export class ReadWorkerPool implements ReadExecutor {
  private readonly clients: ReadWorkerClient[] = [];
  private closed = false;

  constructor(private readonly options: ReadPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > MAX_READ_WORKERS) {
      throw new Error(`the read pool's size must be a whole number from 1 to ${MAX_READ_WORKERS}, not ${options.size}`);
    }
    this.clients.push(new ReadWorkerClient(options));
  }

  /** Workers started so far (at most `size`). */
  get started(): number {
    return this.clients.length;
  }

  /** Whether calls still go to workers (false once they gave up and reads run on the main thread). */
  get usingWorkers(): boolean {
    return !this.closed && this.clients.some((client) => client.usingWorker);
  }

  run<C extends ReadCall>(call: C, now: number): Promise<ReadResults[C['op']]> {
    return this.pick().run(call, now);
  }

  runJson(call: ReadCall, now: number): Promise<JsonAnswer> {
    return this.pick().runJson(call, now);
  }

  /** Lets every worker answer what it was sent, then stops them all. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.clients.map((client) => client.close()));
  }

  private pick(): ReadWorkerClient {
    // Closed, or given up: the first client hands calls to the fallback as a single worker does.
    if (!this.usingWorkers) return this.clients[0]!;
    let best: ReadWorkerClient | null = null;
    for (const client of this.clients) {
      if (!client.usingWorker) continue;
      if (client.inFlight === 0) return client;
      if (best === null || client.inFlight < best.inFlight) best = client;
    }
    const gaveUp = this.clients.some((client) => !client.usingWorker);
    if (this.clients.length < this.options.size && !gaveUp) {
      const client = new ReadWorkerClient(this.options);
      this.clients.push(client);
      return client;
    }
    return best!;
  }
}

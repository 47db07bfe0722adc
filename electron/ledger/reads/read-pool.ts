import os from 'node:os';
import type { AnswerForm, JsonAnswer, ReadCall, ReadResults } from './protocol.js';
import { ReadWorkerClient, type ReadWorkerOptions } from './read-worker-client.js';
import type { ReadExecutor } from './reads.js';
import { shareAnswer } from './shared-answer.js';

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

/** Who waits for a call's answer. */
interface Waiter {
  resolve(value: never): void;
  reject(error: Error): void;
}

/** A call waiting in the pool for a free worker, and everyone who asked it while it waited. */
interface Queued {
  call: ReadCall;
  /** The latest `now` of its askers: it runs after all of them asked. */
  now: number;
  form: AnswerForm;
  /** What an identical call asked while this one waits is matched by. */
  key: string;
  waiters: Waiter[];
}

/**
 * Calls answered from an index page (a few rows): sent before the queued sums, so the request log
 * never waits behind a dashboard's histories (93 ms p50 under the load benchmark, 1.8 ms alone).
 * They cost well under a millisecond, so they cannot starve the others.
 */
function isLight(call: ReadCall): boolean {
  return call.op === 'requests' || call.op === 'projects';
}

/** A call put to one worker, in the form it was asked in. */
function ask(client: ReadWorkerClient, job: Pick<Queued, 'call' | 'now' | 'form'>): Promise<unknown> {
  return job.form === 'json' ? client.runJson(job.call, job.now) : client.run(job.call, job.now);
}

/**
 * Calls a worker holds at once: the one it runs and the next, so it starts the next without waiting
 * for the main thread to take an answer and hand out another (under load the event loop can take
 * tens of ms to get to the reply). A deeper queue per worker let cheap calls wait behind a history on
 * one worker while the other ran dry.
 */
export const WORKER_DEPTH = 2;

/**
 * Several read workers, each with its own read-only connection, so a dashboard's parallel calls do
 * not queue behind one big history. Calls wait here, in one queue for all workers (light calls
 * first, the rest in arrival order), and a worker is given at most WORKER_DEPTH of them: an idle
 * worker first, else a new one while the pool is below its size, else the worker with the fewest.
 * Handing every call out on arrival to the worker with the fewest in flight (the first version) left
 * a worker idle while the other still had a queue of sums behind a history: the request log page
 * took 93 ms p50 under the load benchmark against 1.8 ms alone. The first worker starts at once, the
 * others when the load first needs them: a server that never gets parallel reads keeps one worker's
 * memory.
 *
 * A call identical to one still waiting here joins it (enqueue): one read answers both.
 *
 * Each worker keeps ReadWorkerClient's rules: one that dies fails its calls with `unavailable` and is
 * started again on the next call; one that cannot start hands its calls to the fallback, and the pool
 * then starts no more (a packaging problem hits every worker alike).
 */
export class ReadWorkerPool implements ReadExecutor {
  private readonly clients: ReadWorkerClient[] = [];
  /** Calls waiting for a free worker: light ones, then the rest, each in arrival order. */
  private readonly light: Queued[] = [];
  private readonly heavy: Queued[] = [];
  /** The same calls by form and call: an identical call asked now joins the one waiting. */
  private readonly waiting = new Map<string, Queued>();
  private closed = false;

  constructor(private readonly options: ReadPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > MAX_READ_WORKERS) {
      throw new Error(`the read pool's size must be a whole number from 1 to ${MAX_READ_WORKERS}, not ${options.size}`);
    }
    this.clients.push(this.newClient());
  }

  /** Workers started so far (at most `size`). */
  get started(): number {
    return this.clients.length;
  }

  /** Calls waiting in the pool for a free worker (not yet sent to one). */
  get queued(): number {
    return this.light.length + this.heavy.length;
  }

  /** Whether calls still go to workers (false once they gave up and reads run on the main thread). */
  get usingWorkers(): boolean {
    return !this.closed && this.clients.some((client) => client.usingWorker);
  }

  run<C extends ReadCall>(call: C, now: number): Promise<ReadResults[C['op']]> {
    return this.enqueue(call, now, 'object');
  }

  runJson(call: ReadCall, now: number): Promise<JsonAnswer> {
    return this.enqueue(call, now, 'json');
  }

  /**
   * Has every worker started so far (at a server's start, the first) run `calls`, one at a time, their
   * answers dropped: a worker's first reads pay for its compiled code and its connection's page cache,
   * which the first dashboard after a start would otherwise wait for. It starts no worker: a second one
   * warmed too made the first look faster still, but took the server's RSS past 200 MB (202 MiB on the
   * 10M dataset warmed a second after the start; 186-192 with one, hence the later warm-up of
   * start-core.ts), and it starts when parallel calls first need it, as before. One call at a time
   * leaves a worker room for a real call (WORKER_DEPTH) meanwhile. A worker that gave up is not warmed:
   * its calls would run on the main thread. Failures are dropped too: the real call reports its own. It
   * warms even when real calls came first: the desktop's hidden quick view reads today's figures at
   * start, which do not read the month.
   */
  async warm(calls: readonly ReadCall[], now: number): Promise<boolean> {
    if (!this.usingWorkers) return false;
    await Promise.all(
      this.clients.map(async (client) => {
        for (const call of calls) {
          // A closed worker is not using its thread either: closing stops the warming too.
          if (!client.usingWorker) return;
          await this.send(client, { call, now, form: 'json' }).catch(() => {});
        }
      }),
    );
    return true;
  }

  /** Sends what is still queued, lets every worker answer what it was sent, then stops them all. */
  async close(): Promise<void> {
    this.closed = true;
    this.drainTo(() => this.clients[0]!);
    await Promise.all(this.clients.map((client) => client.close()));
  }

  /**
   * Queues a call, or joins an identical one (same form) still waiting here: that one has not started,
   * so its answer will hold every write committed before either was asked; it runs at the later `now`.
   * Views refreshed by the same change (the desktop's dashboard and quick view both show today's
   * summary; dashboards in several browser tabs), monitors polling fixed ranges and load tests ask the
   * same reads at the same moment; joined, a worker sums them once. A call already given to a worker
   * is never joined: it may have read before the newer caller's writes committed.
   */
  private enqueue<T>(call: ReadCall, now: number, form: AnswerForm): Promise<T> {
    // Closed, or given up: the first client hands calls to the fallback as a single worker does.
    if (!this.usingWorkers) return this.send(this.clients[0]!, { call, now, form }) as Promise<T>;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { resolve: resolve as (value: never) => void, reject };
      const key = `${form}\u0000${JSON.stringify(call)}`;
      const waiting = this.waiting.get(key);
      if (waiting !== undefined) {
        waiting.now = Math.max(waiting.now, now);
        waiting.waiters.push(waiter);
        return;
      }
      const job: Queued = { call, now, form, key, waiters: [waiter] };
      (isLight(call) ? this.light : this.heavy).push(job);
      this.waiting.set(key, job);
      this.dispatch();
    });
  }

  /** Gives queued calls to free workers, starting workers up to the pool's size. */
  private dispatch(): void {
    while (this.queued > 0) {
      if (!this.usingWorkers) {
        // Every worker gave up while calls waited: they are answered as a single worker would.
        this.drainTo(() => this.clients[0]!);
        return;
      }
      const client = this.freeClient();
      if (!client) return;
      const job = (this.light.shift() ?? this.heavy.shift())!;
      this.answer(job, this.send(client, job));
    }
  }

  /**
   * Settles every asker of a job once it left the queue. JSON text is shared (shareAnswer); an answer
   * as data is the first asker's, and every other asker gets a copy of its own, since a caller may
   * change its object: the copy costs what taking a second answer from a worker would, without its read.
   */
  private answer(job: Queued, answer: Promise<unknown>): void {
    this.waiting.delete(job.key);
    answer.then(
      (value) => {
        const { waiters } = job;
        if (waiters.length === 1) return waiters[0]!.resolve(value as never);
        if (job.form === 'json') {
          const shared = shareAnswer(value as JsonAnswer, waiters.length);
          return waiters.forEach((waiter, i) => waiter.resolve(shared[i] as never));
        }
        waiters.forEach((waiter, i) => waiter.resolve((i === 0 ? value : structuredClone(value)) as never));
      },
      (error: Error) => {
        for (const waiter of job.waiters) waiter.reject(error);
      },
    );
  }

  private send(client: ReadWorkerClient, job: Pick<Queued, 'call' | 'now' | 'form'>): Promise<unknown> {
    const answer = ask(client, job);
    // The worker is free again once its answer (or failure) is in: the next queued call goes there.
    const next = () => this.dispatch();
    answer.then(next, next);
    return answer;
  }

  private drainTo(pick: () => ReadWorkerClient): void {
    for (const job of this.light.splice(0).concat(this.heavy.splice(0))) this.answer(job, ask(pick(), job));
  }

  /**
   * The worker a queued call goes to now, or null to keep it queued. Once a worker is up, a worker still
   * starting is not given calls: it takes ~0.5 s to open its connection (on the 2-core machine), far
   * longer than a busy worker takes to finish a dashboard read, so the call waits here for whichever is
   * free first (a month's forecast, two reads at once, took 486 ms on its first call, 13-18 ms after).
   * Before any worker is up (the server's first reads), calls go to the starting ones as they come.
   */
  private freeClient(): ReadWorkerClient | null {
    const working = this.clients.filter((client) => client.usingWorker);
    const anyUp = working.some((client) => client.isReady);
    const starting = working.some((client) => client.isStarting);
    let best: ReadWorkerClient | null = null;
    for (const client of working) {
      if (anyUp && client.isStarting) continue;
      if (client.inFlight === 0) return client;
      if (client.inFlight < WORKER_DEPTH && (best === null || client.inFlight < best.inFlight)) best = client;
    }
    const gaveUp = working.length < this.clients.length;
    if (this.clients.length < this.options.size && !gaveUp && !(anyUp && starting)) {
      const client = this.newClient();
      this.clients.push(client);
      return anyUp ? null : client;
    }
    return anyUp && starting ? null : best;
  }

  private newClient(): ReadWorkerClient {
    // A worker that comes up takes what waits for it.
    return new ReadWorkerClient({ ...this.options, onReady: () => this.dispatch() });
  }
}

import os from 'node:os';

/** The environment variable that sets the ledger threads' nice value (0..19; 0 leaves them as they are). */
export const WORKER_NICE_ENV = 'MODELMETER_WORKER_NICE';

/**
 * The writer thread and the read workers run at this nice value on Linux, the main thread at the
 * process's own. Every answer, acknowledgement and event passes through the main thread's event loop,
 * so when the two cores are busy it should get the next one: measured under `bench:load` (the
 * scheduler's counters of the main thread), the longest event-loop gaps were 1-7 ms of work and 7-29 ms
 * of waiting for a core while the readers and the writer had both (docs/performance.md, round 16).
 * Five is a mild step (each such thread weighs a third of a default one), and it only orders
 * threads that compete: an idle core still goes to whoever wants it. On desktop Linux each session or
 * app has its own scheduling group, so it does not hand the ledger's work to other programs either.
 */
export const DEFAULT_WORKER_NICE = 5;

const MAX_NICE = 19;

/** The nice value for the ledger's threads: `MODELMETER_WORKER_NICE` when set, else the default; refused with its name when not 0..19. */
export function workerNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WORKER_NICE_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_WORKER_NICE;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > MAX_NICE) {
    throw new Error(`${WORKER_NICE_ENV} must be a whole number from 0 to ${MAX_NICE}, not "${raw}"`);
  }
  return nice;
}

export interface PriorityHost {
  platform: NodeJS.Platform;
  setPriority(pid: number, priority: number): void;
}

const NODE_HOST: PriorityHost = { platform: process.platform, setPriority: (pid, priority) => os.setPriority(pid, priority) };

/**
 * Lowers the calling thread to `nice`; call at the start of a worker thread. Only on Linux, where
 * setpriority() on "this process" (pid 0) applies to the calling thread alone; on macOS and Windows
 * the same call would lower the whole process, the main thread with it, so nothing is done there.
 * Returns whether it was applied: a sandbox that refuses it leaves the thread as it was.
 */
export function lowerThisThread(nice: number, host: PriorityHost = NODE_HOST): boolean {
  if (host.platform !== 'linux' || nice <= 0) return false;
  try {
    host.setPriority(0, nice);
    return true;
  } catch {
    return false;
  }
}

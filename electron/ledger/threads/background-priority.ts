import os from 'node:os';

/** The environment variable that sets how far the ledger threads' nice value is lowered (0..19; 0 leaves them as they are). */
export const WORKER_NICE_ENV = 'MODELMETER_WORKER_NICE';

/**
 * The writer thread and the read workers run this many nice steps below the process on Linux (at nice
 * 5 for a process at the default 0), the main thread at the process's own. Every answer,
 * acknowledgement and event passes through the main thread's event loop, so when the two cores are
 * busy it should get the next one: measured under `bench:load` (the scheduler's counters of the main
 * thread), the longest event-loop gaps were 1-7 ms of work and 7-29 ms of waiting for a core while the
 * readers and the writer had both (docs/performance.md, round 16).
 * Five is a mild step (each such thread weighs a third of a default one), and it only orders
 * threads that compete: an idle core still goes to whoever wants it. On desktop Linux each session or
 * app has its own scheduling group, so other programs do not gain from it; a CPU-bound one started from
 * the same shell as the server does (reads measured ~1.6x slower beside two of them), which is what
 * setting the variable to 0 is for.
 */
export const DEFAULT_WORKER_NICE = 5;

const MAX_NICE = 19;

/** How many nice steps the ledger's threads go below the process: `MODELMETER_WORKER_NICE` when set, else the default; refused with its name when not 0..19. */
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
  getPriority(pid: number): number;
  setPriority(pid: number, priority: number): void;
}

const NODE_HOST: PriorityHost = { platform: process.platform, getPriority: (pid) => os.getPriority(pid), setPriority: (pid, priority) => os.setPriority(pid, priority) };

/**
 * Lowers the calling thread by `steps` nice steps below where it runs (a process started at nice 10
 * gets threads at 15, never above the main thread), at most to 19; call at the start of a worker
 * thread. Only on Linux, where setpriority() on "this process" (pid 0) applies to the calling thread
 * alone; on macOS and Windows the same call would lower the whole process, the main thread with it, so
 * nothing is done there. Returns whether it was applied: a sandbox that refuses it leaves the thread
 * as it was.
 */
export function lowerThisThread(steps: number, host: PriorityHost = NODE_HOST): boolean {
  if (host.platform !== 'linux' || steps <= 0) return false;
  try {
    const current = host.getPriority(0);
    const lowered = Math.min(MAX_NICE, current + steps);
    if (lowered <= current) return false;
    host.setPriority(0, lowered);
    return true;
  } catch {
    return false;
  }
}

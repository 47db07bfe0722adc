import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The benchmark's own folder (dist/bench/), where the child scripts live. */
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * A server the benchmarks run in its own process (the core, a fake upstream), so the load generator
 * does not share its event loop. The child sends `{ port }` once it listens.
 */
export interface Child {
  child: ChildProcess;
  port: number;
}

/** Node flags for the core, for diagnosis: e.g. MODELMETER_BENCH_SERVER_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
export function serverExecArgv(): string[] {
  return (process.env['MODELMETER_BENCH_SERVER_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
}

/** Forks a script of dist/bench/ (a name such as 'core-server.js') and waits for its port. */
export async function forkChild(script: string, args: string[], execArgv: string[] = []): Promise<Child> {
  const child = fork(path.resolve(BENCH_DIR, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited early (code ${code})`)));
  });
  return { child, port };
}

/** Stops a child: with an IPC message it understands ('close' for the core: flush first), else SIGTERM. */
export async function stopChild(server: Child, message?: string): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  if (message) server.child.send(message);
  else server.child.kill('SIGTERM');
  await exited;
}

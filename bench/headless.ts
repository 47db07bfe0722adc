import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { serverExecArgv } from './children.js';
import { freePort, HEADLESS_MAIN, sleep } from './util.js';

export const HEADLESS_TOKEN = 'bench-headless-token-0123456789';

export interface Headless {
  child: ChildProcess;
  port: number;
  /** performance.now() at spawn. */
  spawnedAt: number;
}

/**
 * The built headless server (what `npm run serve` runs) on a data folder, on a free port; with the
 * diagnosis flags of MODELMETER_BENCH_SERVER_ARGS, as the forked core gets them.
 */
export async function spawnHeadless(dataDir: string): Promise<Headless> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...serverExecArgv(), HEADLESS_MAIN, '--data-dir', dataDir, '--port', String(port)], {
    env: { ...process.env, MODELMETER_TOKEN: HEADLESS_TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`headless server exited with ${code}: ${stderr}\n`);
  });
  return { child, port, spawnedAt };
}

export function get(port: number, path: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${HEADLESS_TOKEN}` }, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on('error', reject);
  });
}

/** Polls GET /healthz every `everyMs` until it answers 200; returns ms since spawn. */
export async function waitHealthy(server: Headless, everyMs = 2, limitMs = 60_000): Promise<number> {
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`headless server exited (code ${server.child.exitCode}) before answering /healthz`);
    try {
      const reply = await get(server.port, '/healthz', 1_000);
      if (reply.status === 200) return performance.now() - server.spawnedAt;
    } catch {
      // Not listening yet.
    }
    if (performance.now() - server.spawnedAt > limitMs) throw new Error('headless server did not answer /healthz in time');
    await sleep(everyMs);
  }
}

/** SIGTERM (the server flushes and checkpoints), then waits for the exit. */
export async function stopHeadless(server: Headless): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.kill('SIGTERM');
  await exited;
}

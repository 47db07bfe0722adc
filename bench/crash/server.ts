import { spawn, type ChildProcess } from 'node:child_process';
import { call, CRASH_TOKEN, sleep } from './http.js';

/** One life of the headless server: from spawn to kill -9 (or the final SIGTERM). */
export interface Life {
  index: number;
  child: ChildProcess;
  /** Wall clock at spawn and when /healthz first answered (epoch ms, the clock the server stamps with). */
  spawnedAt: number;
  healthyAt: number;
  /** Wall clock just before the SIGKILL (and performance.now() then); null while alive or when stopped cleanly. */
  killedAt: number | null;
  killedPerf: number | null;
  /** A clean stop: wall clock at the SIGTERM and at the exit. */
  stopped: { from: number; to: number } | null;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServerOptions {
  /** dist/electron/hosts/headless/main.js */
  main: string;
  dataDir: string;
  port: number;
  /** More command-line options (the forwarding scenario's --forward-to) and environment variables. */
  args?: string[];
  env?: Record<string, string>;
}

/**
 * Starts the built headless server on the data folder and port (the same for every life, as a user
 * restarting it would), and waits until /healthz answers.
 */
export async function startLife(options: ServerOptions, index: number, limitMs = 30_000): Promise<Life> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('MODELMETER_')) env[key] = value;
  env['MODELMETER_TOKEN'] = CRASH_TOKEN;
  Object.assign(env, options.env);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [options.main, '--data-dir', options.dataDir, '--port', String(options.port), ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`life ${index}: the server exited (code ${child.exitCode}) before answering /healthz: ${stderr}`);
    }
    const outcome = await call(options.port, { method: 'GET', path: '/healthz', anonymous: true, timeoutMs: 1_000 });
    if (outcome.kind === 'answered' && outcome.reply.status === 200) break;
    if (Date.now() - spawnedAt > limitMs) {
      child.kill('SIGKILL');
      throw new Error(`life ${index}: the server did not answer /healthz within ${limitMs} ms: ${stderr}`);
    }
    await sleep(5);
  }
  return { index, child, spawnedAt, healthyAt: Date.now(), killedAt: null, killedPerf: null, stopped: null, stderr: () => stderr, exited };
}

/** kill -9: no handler runs, nothing is flushed. Resolves once the process is gone. */
export async function kill9(life: Life): Promise<void> {
  life.killedPerf = performance.now();
  life.killedAt = Date.now();
  life.child.kill('SIGKILL');
  const { signal } = await life.exited;
  if (signal !== 'SIGKILL') throw new Error(`life ${life.index}: the server ended by ${signal ?? 'exit'} before the SIGKILL: ${life.stderr()}`);
}

/** SIGTERM: the server flushes, closes its program run and checkpoints; it must exit 0. */
export async function stopLife(life: Life, limitMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const from = Date.now();
  life.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`life ${life.index}: no exit within ${limitMs} ms of SIGTERM`)), limitMs).unref());
  const exit = await Promise.race([life.exited, timeout]);
  life.stopped = { from, to: Date.now() };
  return exit;
}

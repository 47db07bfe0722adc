import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LedgerOperation } from '../../../shared/api.js';
import type { OperationInput, OperationOutput } from '../../../shared/bridge.js';
import { API_ROOT, HTTP_ROUTES, toSearchParams, type HttpCall } from '../../../shared/http-routes.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/electron/hosts/headless/main.js');
const START_MS = 20_000;

/** The real headless server (`npm run serve`, built by the global setup) in its own data folder. */
export interface E2eServer {
  /** http://127.0.0.1:<port> */
  url: string;
  token: string;
  dataDir: string;
  /** The link printed at start: the dashboard with #token=... */
  dashboard: string;
  /** A ledger operation over the HTTP API, typed like the renderer's client. */
  call<K extends LedgerOperation>(operation: K, ...input: OperationInput<K> extends undefined ? [] : [OperationInput<K>]): Promise<OperationOutput<K>>;
  stop(): Promise<void>;
}

export async function startServer(options: { dataDir?: string } = {}): Promise<E2eServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-e2e-'));
  const token = `e2e-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('MODELMETER_')) env[key] = value;
  env['MODELMETER_TOKEN'] = token;
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', dataDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_MS;
  let match: RegExpExecArray | null = null;
  while (!(match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the headless server did not start (${MAIN}): ${err || out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = match[1]!;
  if (match[2] !== token) throw new Error('the printed token is not MODELMETER_TOKEN');

  async function send(call: HttpCall): Promise<unknown> {
    const response = await fetch(`${url}${API_ROOT}${call.path}${toSearchParams(call.query)}`, {
      method: call.method,
      headers: { authorization: `Bearer ${token}`, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${call.method} ${call.path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  return {
    url,
    token,
    dataDir,
    dashboard: `${url}/#token=${token}`,
    call(operation, ...input) {
      const route = HTTP_ROUTES[operation] as (value: unknown) => HttpCall;
      return send(route(input[0])) as Promise<never>;
    },
    stop,
  };
}

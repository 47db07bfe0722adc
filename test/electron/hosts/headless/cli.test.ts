import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProgramRun } from '../../../../shared/types.js';
import { ensureBuiltCore, HEADLESS_MAIN, ROOT } from '../../../support/built-core.js';

const MAIN = HEADLESS_MAIN;
const WAIT_MS = 15_000;

beforeAll(ensureBuiltCore, 180_000);

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Cli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  }
});

/** Runs the built CLI with a clean environment (no MODELMETER_* from outside). */
function launch(args: string[], env: Record<string, string> = {}): Cli {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('MODELMETER_')) base[key] = value;
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const cli = { child, stdout: () => out, stderr: () => err, exited };
  running.push(cli);
  return cli;
}

/** Waits for the start banner; answers the dashboard URL, its port and token. */
async function started(cli: Cli): Promise<{ url: string; port: number; token: string }> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const match = /Dashboard: (http:\/\/127\.0\.0\.1:(\d+))\/#token=(\S+)/.exec(cli.stdout());
    if (match) return { url: match[1]!, port: Number(match[2]), token: match[3]! };
    if (cli.child.exitCode !== null) throw new Error(`the CLI exited with ${cli.child.exitCode}: ${cli.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no start banner within ${WAIT_MS} ms; stdout: ${cli.stdout()} stderr: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function exitOf(cli: Cli): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    cli.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the CLI did not exit within ${WAIT_MS} ms; stderr: ${cli.stderr()}`)), WAIT_MS).unref()),
  ]);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm run serve (dist/electron/hosts/headless/main.js)', () => {
  it('prints the dashboard link with the real port and the token, and serves the API', async () => {
    const dataDir = tempDir();
    const cli = launch(['--data-dir', dataDir, '--port', '0']);
    const { url, port, token } = await started(cli);
    expect(port).toBeGreaterThan(0);
    expect(cli.stdout()).toContain(`API:       ${url}/api/v1`);
    expect(cli.stdout()).toContain(`Data: ${dataDir}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/summary`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/summary`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('stores a generated token in the data folder, readable by the owner only, and reuses it', async () => {
    const dataDir = tempDir();
    const first = launch(['--data-dir', dataDir, '--port', '0']);
    const { token } = await started(first);
    const file = path.join(dataDir, 'api-token');
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(token);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(16);
    first.child.kill('SIGTERM');
    expect(await exitOf(first)).toEqual({ code: 0, signal: null });

    const second = launch(['--data-dir', dataDir, '--port', '0']);
    expect((await started(second)).token).toBe(token);
  });

  it('honours MODELMETER_TOKEN, MODELMETER_DATA_DIR and MODELMETER_PORT', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const fixed = 'fixed-token-for-the-test-0123456789';
    const cli = launch([], { MODELMETER_TOKEN: fixed, MODELMETER_DATA_DIR: dataDir, MODELMETER_PORT: String(port) });
    const banner = await started(cli);
    expect(banner).toEqual({ url: `http://127.0.0.1:${port}`, port, token: fixed });
    expect(fs.existsSync(path.join(dataDir, 'modelmeter.db'))).toBe(true);
    expect((await fetch(`${banner.url}/api/v1/summary`, { headers: { authorization: `Bearer ${fixed}` } })).status).toBe(200);
  });

  it('lets --data-dir and --port win over the environment', async () => {
    const fromFlag = tempDir();
    const fromEnv = tempDir();
    const cli = launch(['--data-dir', fromFlag, '--port', '0'], { MODELMETER_DATA_DIR: fromEnv, MODELMETER_PORT: '1' });
    await started(cli);
    expect(fs.existsSync(path.join(fromFlag, 'modelmeter.db'))).toBe(true);
    expect(fs.existsSync(path.join(fromEnv, 'modelmeter.db'))).toBe(false);
  });

  it('refuses a MODELMETER_TOKEN that is too short, with a message about the token', async () => {
    const cli = launch(['--data-dir', tempDir(), '--port', '0'], { MODELMETER_TOKEN: 'short' });
    expect((await exitOf(cli)).code).toBe(1);
    expect(cli.stderr()).toMatch(/MODELMETER_TOKEN must be 16-256 printable characters/);
    expect(cli.stderr()).not.toMatch(/data folder/);
  });

  it('says clearly that a port is taken and exits with 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const cli = launch(['--data-dir', tempDir(), '--port', String(port)]);
      expect((await exitOf(cli)).code).toBe(1);
      expect(cli.stderr()).toContain(`port ${port} is already in use`);
      expect(cli.stderr()).toMatch(/--port or MODELMETER_PORT/);
      expect(cli.stderr()).not.toMatch(/\n\s+at /);
      expect(cli.stdout()).not.toContain('Dashboard');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('leaves a running instance alone when a second one on the same data folder finds the port taken', async () => {
    const dataDir = tempDir();
    const first = launch(['--data-dir', dataDir, '--port', '0']);
    const { url, port, token } = await started(first);
    const second = launch(['--data-dir', dataDir, '--port', String(port)]);
    expect((await exitOf(second)).code).toBe(1);
    expect(second.stderr()).toContain(`port ${port} is already in use`);
    // The first instance's uptime is still open: the failed start did not close or add program runs.
    const runs = (await (await fetch(`${url}/api/v1/program-runs`, { headers: { authorization: `Bearer ${token}` } })).json()) as ProgramRun[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ running: true, end: null });
  });

  it('says clearly that the data folder cannot be used and exits with 1', async () => {
    const file = path.join(tempDir(), 'a-regular-file');
    fs.writeFileSync(file, 'not a folder');
    const cli = launch(['--data-dir', path.join(file, 'data'), '--port', '0']);
    expect((await exitOf(cli)).code).toBe(1);
    expect(cli.stderr()).toContain(path.join(file, 'data'));
    expect(cli.stderr()).toMatch(/not writable/);
    expect(cli.stderr()).toMatch(/--data-dir or MODELMETER_DATA_DIR/);
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });

  it('refuses a database from a newer schema and leaves it untouched', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'modelmeter.db');
    const db = new BetterSqlite3(file);
    db.pragma('user_version = 9999');
    db.exec('CREATE TABLE future (x INTEGER)');
    db.close();
    const before = fs.readFileSync(file);
    const cli = launch(['--data-dir', dataDir, '--port', '0']);
    expect((await exitOf(cli)).code).toBe(1);
    expect(cli.stderr()).toMatch(/newer/i);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  for (const [what, args] of [
    ['a port that is not a number', ['--port', 'eighty']],
    ['a port out of range', ['--port', '70000']],
    ['an unknown option', ['--verbose']],
  ] as const) {
    it(`exits with 1 and a message for ${what}`, async () => {
      const cli = launch(['--data-dir', tempDir(), ...args]);
      expect((await exitOf(cli)).code).toBe(1);
      expect(cli.stderr()).toMatch(/^modelmeter: /);
    });
  }

  it('prints usage for --help and exits with 0', async () => {
    const cli = launch(['--help']);
    expect((await exitOf(cli)).code).toBe(0);
    expect(cli.stdout()).toMatch(/Usage: npm run serve/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 on ${signal}, with its program run closed and every acknowledged record on disk`, async () => {
      const dataDir = tempDir();
      const cli = launch(['--data-dir', dataDir, '--port', '0']);
      const { url, token } = await started(cli);
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const runs = (await (await fetch(`${url}/api/v1/program-runs`, { headers })).json()) as ProgramRun[];
      expect(runs).toHaveLength(1);
      expect(runs[0]!.running).toBe(true);
      const posted = await fetch(`${url}/api/v1/requests`, { method: 'POST', headers, body: JSON.stringify([{ model: 'm', inputTokens: 3 }, { model: 'n' }]) });
      expect(await posted.json()).toEqual({ accepted: 2, duplicates: 0 });

      cli.child.kill(signal);
      expect(await exitOf(cli)).toEqual({ code: 0, signal: null });

      const db = new BetterSqlite3(path.join(dataDir, 'modelmeter.db'), { readonly: true });
      try {
        const rows = db.prepare('SELECT start_at, end_at FROM program_runs').all() as { start_at: number; end_at: number | null }[];
        expect(rows).toHaveLength(1);
        expect(rows[0]!.end_at).not.toBeNull();
        expect(rows[0]!.end_at!).toBeGreaterThanOrEqual(rows[0]!.start_at);
        expect(db.prepare('SELECT count(*) AS n FROM requests').get()).toEqual({ n: 2 });
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
      // Closing checkpoints the WAL: the folder holds one self-contained database.
      const wal = path.join(dataDir, 'modelmeter.db-wal');
      expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);
    });
  }

  it('exits 0 on SIGTERM while a dashboard holds the event stream open', async () => {
    const cli = launch(['--data-dir', tempDir(), '--port', '0']);
    const { url, token } = await started(cli);
    const controller = new AbortController();
    const response = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    cli.child.kill('SIGTERM');
    try {
      expect(await exitOf(cli)).toEqual({ code: 0, signal: null });
    } finally {
      controller.abort();
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type RunningCore } from '../../../../electron/hosts/core/start-core.js';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';
import { ensureBuiltCore, HEADLESS_MAIN, ROOT } from '../../../support/built-core.js';

/**
 * Issue 17 item 3, the process test: the source is the built server in a child process, forwarding
 * (--forward-to) to a target in this process; it is killed with SIGKILL during ingest and started
 * again. The target ends with every record the source acknowledged, each exactly once, and with
 * nothing the source does not hold.
 */
const SOURCE_TOKEN = 'source-token-0123456789';
const TARGET_TOKEN = 'target-token-0123456789';

beforeAll(ensureBuiltCore, 180_000);

const dirs: string[] = [];
const children: ChildProcess[] = [];
let target: RunningCore | null = null;
/** Set when a test ends, so clients of a failed test stop posting. */
let ended = false;
afterEach(async () => {
  ended = true;
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await target?.close();
  target = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-forward-proc-'));
  dirs.push(dir);
  return dir;
}

/** The built server with --forward-to; answers its URL once the banner is out. */
async function launchSource(dataDir: string, targetUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('MODELMETER_')) env[key] = value;
  const child = spawn(
    process.execPath,
    [HEADLESS_MAIN, '--port', '0', '--data-dir', dataDir, '--forward-to', targetUrl, '--forward-host', 'gpu-box'],
    { cwd: ROOT, env: { ...env, MODELMETER_TOKEN: SOURCE_TOKEN, MODELMETER_FORWARD_TOKEN: TARGET_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
    if (match) {
      expect(out).toContain(`Forwarding to ${targetUrl}`);
      return { child, url: match[1]! };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the source did not start: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves once the child has exited, also when it already has (its 'exit' event is then long gone). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(url: string, route: string, body: unknown): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v1${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SOURCE_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.text();
    return response.ok;
  } catch {
    return false;
  }
}

describe('a source killed with SIGKILL during ingest', () => {
  it('forwards, after its restart, every record it acknowledged exactly once', async () => {
    ended = false;
    target = await startCore({ dataDir: tempDir(), port: 0, token: TARGET_TOKEN, reads: 'inline', writes: 'inline' });
    const sourceDir = tempDir();
    let source = await launchSource(sourceDir, target.url);
    const acknowledged = new Set<string>();
    let n = 0;
    const ingest = async (url: string, until: () => boolean) => {
      while (!until() && !ended) {
        const records = Array.from({ length: 50 }, () => ({ model: 'qwen3-30b', inputTokens: 10 + (++n % 50), outputTokens: 3, requestId: `p-${n}` }));
        if (await post(url, '/requests', records)) for (const r of records) acknowledged.add(r.requestId);
      }
    };
    // Two clients, and the kill in the middle of their posts.
    let killed = false;
    const clients = [ingest(source.url, () => killed), ingest(source.url, () => killed)];
    // Once ingest (and forwarding) is well under way: the kill lands mid-post.
    await waitFor(() => acknowledged.size >= 500, 'the first 500 records acknowledged');
    await new Promise((resolve) => setTimeout(resolve, 150));
    source.child.kill('SIGKILL');
    killed = true;
    await Promise.all(clients);
    await exited(source.child);
    const beforeRestart = acknowledged.size;
    expect(beforeRestart).toBeGreaterThan(0);

    source = await launchSource(sourceDir, target.url);
    let stop = false;
    const more = ingest(source.url, () => stop);
    const resumedFrom = acknowledged.size;
    await waitFor(() => acknowledged.size >= resumedFrom + 200, '200 more records acknowledged after the restart');
    stop = true;
    await more;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await fetch(`${source.url}/api/v1/forwarding`, { headers: { Authorization: `Bearer ${SOURCE_TOKEN}` } });
      const status = (await response.json()) as ForwardingStatus;
      expect(status.fromCommandLine).toBe(true);
      if (status.oldestWaitingAt === null && status.state === 'idle') break;
      if (Date.now() > deadline) throw new Error(`the outbox did not drain: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    source.child.kill('SIGTERM');
    await exited(source.child);

    const held = new BetterSqlite3(path.join(sourceDir, 'modelmeter.db'), { readonly: true });
    const sourceIds = held.prepare<[], { request_id: string }>(`SELECT q.value AS request_id FROM requests r LEFT JOIN request_ids q ON q.id = r.id`).all().map((row) => row.request_id);
    held.close();
    const targetRows = target.service.ledger.db.prepare<[], { request_id: string }>(`SELECT q.value AS request_id FROM requests r LEFT JOIN request_ids q ON q.id = r.id`).all().map((row) => row.request_id);
    const targetIds = new Set(targetRows);
    expect(targetRows.length).toBe(targetIds.size);
    expect([...acknowledged].filter((id) => !targetIds.has(id))).toEqual([]);
    expect([...targetIds].sort()).toEqual([...sourceIds].sort());
    expect(acknowledged.size).toBeGreaterThan(beforeRestart);
  }, 90_000);

  it('refuses bad forwarding options before it starts, naming the option', async () => {
    for (const [args, message] of [
      [['--forward-to', 'ftp://laptop:7423'], /targetUrl must be an http\(s\) URL/],
      [['--forward-to', 'http://127.0.0.1:9'], /--forward-token \(or MODELMETER_FORWARD_TOKEN\) is required/],
      [['--forward-token', 'x'.repeat(20)], /need --forward-to/],
    ] as const) {
      const child = spawn(process.execPath, [HEADLESS_MAIN, '--port', '0', '--data-dir', tempDir(), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(err).toMatch(message);
    }
  }, 30_000);
});

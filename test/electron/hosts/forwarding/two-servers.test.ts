import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type RunningCore } from '../../../../electron/hosts/core/start-core.js';
import type { ForwardingStatus } from '../../../../shared/schemas/forwarding.js';

/**
 * Issue 17 item 3 end to end: two real servers on loopback. Records are ingested over HTTP into the
 * source while the target is closed and started again mid-ingest; in the end the target holds every
 * record exactly once (the same request ids and token sums as the source).
 */
const SOURCE_TOKEN = 'source-token-0123456789';
const TARGET_TOKEN = 'target-token-0123456789';

const dirs: string[] = [];
const cores: RunningCore[] = [];
afterEach(async () => {
  for (const core of cores.splice(0).reverse()) await core.close().catch(() => {});
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-forward-'));
  dirs.push(dir);
  return dir;
}

async function core(options: Parameters<typeof startCore>[0]): Promise<RunningCore> {
  const running = await startCore({ reads: 'inline', writes: 'inline', ...options });
  cores.push(running);
  return running;
}

async function api<T>(running: { url: string }, token: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${running.url}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Facts {
  ids: string[];
  inputTokens: number;
  outputTokens: number;
}

/** The source's requests as it forwards them: each with its requestId, or mm:<instance>:<row id>. */
function sourceFacts(source: RunningCore): Facts {
  const db = source.service.ledger.db;
  const instance = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'instance_id'`).get()!.value;
  const rows = db.prepare<[], { id: number; request_id: string | null; input_tokens: number; output_tokens: number }>(`SELECT r.id, q.value AS request_id, r.input_tokens, r.output_tokens FROM requests r LEFT JOIN request_ids q ON q.id = r.id`).all();
  return {
    ids: rows.map((row) => row.request_id ?? `mm:${instance}:${row.id}`).sort(),
    inputTokens: rows.reduce((sum, row) => sum + row.input_tokens, 0),
    outputTokens: rows.reduce((sum, row) => sum + row.output_tokens, 0),
  };
}

function targetFacts(target: RunningCore): Facts {
  const rows = target.service.ledger.db
    .prepare<[], { request_id: string; input_tokens: number; output_tokens: number }>(`SELECT q.value AS request_id, r.input_tokens, r.output_tokens FROM requests r LEFT JOIN request_ids q ON q.id = r.id`)
    .all();
  return {
    ids: rows.map((row) => row.request_id).sort(),
    inputTokens: rows.reduce((sum, row) => sum + row.input_tokens, 0),
    outputTokens: rows.reduce((sum, row) => sum + row.output_tokens, 0),
  };
}

describe('forwarding between two ModelMeters', () => {
  it('delivers every record exactly once although the target was closed and restarted mid-ingest', async () => {
    const targetDir = tempDir();
    let target = await core({ dataDir: targetDir, port: 0, token: TARGET_TOKEN });
    const targetPort = target.port;
    const source = await core({
      dataDir: tempDir(),
      port: 0,
      token: SOURCE_TOKEN,
      forward: { targetUrl: target.url, token: TARGET_TOKEN, hostName: 'gpu-box' },
      forwardSender: { maxBatch: 300, backoffStartMs: 50, backoffMaxMs: 400, idlePollMs: 50 },
    });

    let n = 0;
    const batch = (size: number) =>
      Array.from({ length: size }, () => {
        n++;
        // Every third record without a requestId of its own: it is forwarded as mm:<instance>:<row id>.
        return { model: n % 2 ? 'qwen3-30b' : 'gpt-5-mini', inputTokens: 100 + (n % 97), outputTokens: n % 13, ...(n % 3 ? { requestId: `src-${n}` } : {}) };
      });
    for (let i = 0; i < 5; i++) await api(source, SOURCE_TOKEN, 'POST', '/requests', batch(200));
    await api(source, SOURCE_TOKEN, 'POST', '/runs', { model: 'qwen3-30b', event: 'start', source: 'llama-swap' });

    await target.close();
    cores.splice(cores.indexOf(target), 1);
    for (let i = 0; i < 5; i++) await api(source, SOURCE_TOKEN, 'POST', '/requests', batch(200));
    await until(async () => (await api<ForwardingStatus>(source, SOURCE_TOKEN, 'GET', '/forwarding')).state === 'unreachable', 10_000, 'the source to see the target gone');
    const down = await api<ForwardingStatus>(source, SOURCE_TOKEN, 'GET', '/forwarding');
    expect(down.waiting.requests).toBeGreaterThan(0);
    expect(down.unreachableSince).not.toBeNull();
    expect(down.oldestWaitingAt).not.toBeNull();

    target = await core({ dataDir: targetDir, port: targetPort, token: TARGET_TOKEN });
    for (let i = 0; i < 5; i++) await api(source, SOURCE_TOKEN, 'POST', '/requests', batch(200));
    await until(
      async () => {
        const status = await api<ForwardingStatus>(source, SOURCE_TOKEN, 'GET', '/forwarding');
        return status.state === 'idle' && status.oldestWaitingAt === null;
      },
      30_000,
      'the outbox to drain',
    );

    const sent = sourceFacts(source);
    expect(sent.ids).toHaveLength(3_000);
    expect(targetFacts(target)).toEqual(sent);
    const hosts = target.service.ledger.db.prepare(`SELECT name FROM hosts`).all();
    expect(hosts).toEqual([{ name: 'gpu-box' }]);
    const runs = target.service.ledger.db.prepare(`SELECT origin_id FROM runs`).all();
    expect(runs).toHaveLength(1);
  }, 60_000);
});

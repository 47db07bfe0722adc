import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Random } from '../../electron/hosts/demo/random.js';
import type { ForwardingStatus } from '../../shared/schemas/forwarding.js';
import { freePort } from '../util.js';
import { call, callJson, CRASH_TOKEN, sleep } from './http.js';
import { kill9, startLife, stopLife, type Life } from './server.js';

export interface ForwardCrashOptions {
  main: string;
  seed: number;
  /** kill -9 of the forwarding source during ingest. */
  kills: number;
  minKillMs: number;
  maxKillMs: number;
  log?: (line: string) => void;
}

export interface ForwardCrashResult {
  kills: number;
  /** Records the source acknowledged (HTTP 200 to the client). */
  acknowledged: number;
  /** Rows in the source's database at the end (acknowledged, plus cut posts that were committed). */
  sourceHolds: number;
  /** Rows on the target from the source, and how many of them are distinct. */
  targetHolds: number;
  targetDistinct: number;
  /** Acknowledged by the source, missing on the target (must be 0). */
  lost: number;
  /** On the target but not in the source's database (must be 0). */
  phantom: number;
  /** From the final restart to an empty outbox. */
  drainMs: number;
  violations: string[];
}

/**
 * The forwarding scenario of `npm run crash`: a source server forwarding (--forward-to) to a target
 * server, both the built headless server in child processes; the source is killed with SIGKILL during
 * ingest, again and again (the target itself killed or stopped and restarted halfway through each life), then restarted once more until its outbox is empty. The target must hold
 * every record the source acknowledged, each once, and nothing the source does not hold.
 */
export async function runForwardingCrash(options: ForwardCrashOptions): Promise<ForwardCrashResult> {
  const log = options.log ?? (() => {});
  const moments = new Random((options.seed ^ 0x27d4eb2f) >>> 0);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-crash-forward-'));
  const target = { main: options.main, dataDir: path.join(root, 'target'), port: await freePort() };
  const source = {
    main: options.main,
    dataDir: path.join(root, 'source'),
    port: await freePort(),
    args: ['--forward-to', `http://127.0.0.1:${target.port}`, '--forward-host', 'crash-source'],
    env: { MODELMETER_FORWARD_TOKEN: CRASH_TOKEN },
  };
  fs.mkdirSync(target.dataDir);
  fs.mkdirSync(source.dataDir);
  const violations: string[] = [];
  const acknowledged = new Set<string>();
  const lives: Life[] = [];
  let n = 0;
  const ingest = async (isRunning: () => boolean) => {
    while (isRunning()) {
      const records = Array.from({ length: 100 }, () => ({ model: 'forward-model', inputTokens: 1 + (++n % 1000), outputTokens: n % 7, requestId: `fwd-${n}` }));
      const outcome = await call(source.port, { method: 'POST', path: '/api/v1/requests', body: records, timeoutMs: 5_000 });
      if (outcome.kind === 'answered' && outcome.reply.status === 200) for (const record of records) acknowledged.add(record.requestId);
      else if (outcome.kind === 'refused') await sleep(5);
    }
  };
  try {
    let targetLife = await startLife(target, 1);
    lives.push(targetLife);
    for (let kill = 1; kill <= options.kills; kill++) {
      const life = await startLife(source, kill);
      lives.push(life);
      let running = true;
      const clients = [ingest(() => running), ingest(() => running)];
      const killAfterMs = options.minKillMs * (options.maxKillMs / options.minKillMs) ** moments.next();
      // From the first acknowledged post of this life: the kill lands while ingest and forwarding run.
      const before = acknowledged.size;
      const warmUntil = Date.now() + 15_000;
      while (acknowledged.size === before && Date.now() < warmUntil) await sleep(5);
      // Halfway, the target goes away while the source keeps forwarding (killed on odd lives, stopped on
      // even ones) and comes back: what the source could not send waits in its outbox.
      await sleep(killAfterMs / 2);
      if (kill % 2 === 1) await kill9(targetLife);
      else await stopLife(targetLife);
      await sleep(300);
      targetLife = await startLife(target, kill + 1);
      lives.push(targetLife);
      await sleep(killAfterMs / 2);
      await kill9(life);
      running = false;
      await Promise.all(clients);
      log(`forwarding kill ${kill}/${options.kills}: ${Math.round(killAfterMs)} ms after the first acknowledged post; ${acknowledged.size} records acknowledged so far`);
    }
    const last = await startLife(source, options.kills + 1);
    lives.push(last);
    const drainFrom = Date.now();
    for (;;) {
      const status = await callJson<ForwardingStatus>(source.port, { method: 'GET', path: '/api/v1/forwarding' });
      if (status.state === 'idle' && status.oldestWaitingAt === null) break;
      if (Date.now() - drainFrom > 120_000) {
        violations.push(`the outbox did not drain within 120 s: ${JSON.stringify(status)}`);
        break;
      }
      await sleep(100);
    }
    const drainMs = Date.now() - drainFrom;
    for (const life of [last, targetLife]) {
      const { code } = await stopLife(life);
      if (code !== 0) violations.push(`a SIGTERM stop exited with ${code}`);
    }

    const ids = (dir: string) => {
      const db = new BetterSqlite3(path.join(dir, 'modelmeter.db'), { readonly: true });
      try {
        return db.prepare<[], { request_id: string | null }>(`SELECT q.value AS request_id FROM requests r LEFT JOIN request_ids q ON q.id = r.id`).all().map((row) => row.request_id ?? '');
      } finally {
        db.close();
      }
    };
    const sourceIds = new Set(ids(source.dataDir));
    const targetRows = ids(target.dataDir);
    const targetIds = new Set(targetRows);
    const lost = [...acknowledged].filter((id) => !targetIds.has(id)).length;
    const phantom = [...targetIds].filter((id) => !sourceIds.has(id)).length;
    if (lost) violations.push(`${lost} acknowledged records are missing on the target`);
    if (phantom) violations.push(`${phantom} records on the target are not in the source's database`);
    if (targetRows.length !== targetIds.size) violations.push(`${targetRows.length - targetIds.size} records are doubled on the target`);
    if (sourceIds.size !== targetIds.size) violations.push(`the source holds ${sourceIds.size} records, the target ${targetIds.size}`);
    return {
      kills: options.kills,
      acknowledged: acknowledged.size,
      sourceHolds: sourceIds.size,
      targetHolds: targetRows.length,
      targetDistinct: targetIds.size,
      lost,
      phantom,
      drainMs,
      violations,
    };
  } finally {
    for (const life of lives) if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGKILL');
    if (violations.length === 0) fs.rmSync(root, { recursive: true, force: true });
    else log(`forwarding scenario: the databases are kept for inspection in ${root}`);
  }
}

export function formatForwarding(result: ForwardCrashResult): string {
  const int = (value: number) => Math.round(value).toLocaleString('en-US');
  return [
    `Forwarding (a source forwarding to a target, the source killed with SIGKILL ${result.kills} times during ingest, the target killed or stopped and restarted during each life):`,
    `  acknowledged by the source ${int(result.acknowledged)}; the source holds ${int(result.sourceHolds)}; the target holds ${int(result.targetHolds)} ` +
      `(${int(result.targetDistinct)} distinct); lost ${int(result.lost)} (must be 0), phantom ${int(result.phantom)} (must be 0); ` +
      `outbox drained ${int(result.drainMs)} ms after the last restart`,
    ...result.violations.map((line) => `  - VIOLATED: ${line}`),
  ].join('\n');
}

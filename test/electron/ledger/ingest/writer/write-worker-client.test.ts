import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../../electron/app/ledger-service.js';
import { GroupCommitWriter } from '../../../../../electron/ledger/ingest/group-commit.js';
import { MAX_WRITER_CRASHES, WriteWorkerClient } from '../../../../../electron/ledger/ingest/writer/write-worker-client.js';
import { CHECKPOINT_PAGES, CHECKPOINT_PAGES_BESIDE_THREAD } from '../../../../../electron/ledger/store/database.js';
import type { WriteResult } from '../../../../../electron/ledger/store/request-writer.js';
import type { RequestRecord, RequestRecordInput } from '../../../../../shared/schemas/request-record.js';
import type { LedgerEvent } from '../../../../../shared/types.js';
import { ensureBuiltCore, ROOT } from '../../../../support/built-core.js';
import { threadNices, threadsAt } from '../../../../support/thread-nice.js';
import { errorCode, Harness } from '../../store/harness.js';

/** The thread runs compiled JavaScript: these tests use dist/, rebuilt first when older than the sources. */
const WORKER = pathToFileURL(path.join(ROOT, 'dist/electron/ledger/ingest/writer/write-worker.js'));

beforeAll(ensureBuiltCore, 180_000);

const MINUTE = 60_000;
const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 3 * 86_400_000;

const req = (ts: number, model: string, extra: Partial<RequestRecordInput> = {}): RequestRecordInput => ({ ts, model, inputTokens: 700, outputTokens: 300, ...extra });
const BATCHES: RequestRecordInput[][] = Array.from({ length: 6 }, (_, b) =>
  Array.from({ length: 40 }, (_, i) =>
    req(DAY0 + (b * 40 + i) * 7 * MINUTE, ['alpha', 'beta', 'gamma'][i % 3]!, { project: i % 4 === 0 ? '/src/p' : undefined, channel: `00000000000000a${i % 2}`, apiType: 'openai', success: i % 9 !== 0 }),
  ),
);

let h: Harness;
let threaded: LedgerService;
let events: LedgerEvent[];
const closers: (() => void)[] = [];
beforeEach(() => {
  h = new Harness(NOW);
  threaded = new LedgerService(h.ledger, { writes: 'worker', writeWorker: WORKER });
  events = [];
  threaded.events.subscribe((event) => events.push(event));
});
afterEach(() => {
  for (const close of closers.splice(0)) close();
  threaded.flush();
  h.close();
});

function stored(harness: Harness): { n: number; cost: number | null } {
  return harness.ledger.db.prepare<[], { n: number; cost: number | null }>(`SELECT count(*) AS n, sum(cost_nanos) AS cost FROM requests`).get()!;
}

describe('the service with writes in the writer thread', () => {
  it.runIf(process.platform === 'linux')('runs the writer thread five nice steps below the process (MODELMETER_WORKER_NICE), the main thread as it was', async () => {
    const mainNice = threadNices().get(process.pid)!;
    // Five steps below the process; the test runner may itself run niced.
    const LOWERED = Math.min(19, mainNice + 5);
    const before = threadsAt(LOWERED);
    await threaded.ingestRequests(BATCHES[0]!);
    // The thread of beforeEach's service may have lowered itself already: one thread lowered, not more.
    expect(threadsAt(LOWERED)).toBeGreaterThanOrEqual(1);
    expect(threadsAt(LOWERED) - before).toBeLessThanOrEqual(1);
    expect(threadNices().get(process.pid)).toBe(mainNice);
    const lowered = threadsAt(LOWERED);

    const other = new Harness(NOW);
    process.env['MODELMETER_WORKER_NICE'] = '0';
    try {
      const unchanged = new LedgerService(other.ledger, { writes: 'worker', writeWorker: WORKER });
      // In this order after the test: the thread drains before its database closes.
      closers.push(
        () => unchanged.flush(),
        () => other.close(),
      );
      await unchanged.ingestRequests(BATCHES[0]!);
      expect((unchanged as unknown as { ingest: { writesInThread: boolean } }).ingest.writesInThread).toBe(true);
      expect(threadsAt(LOWERED)).toBe(lowered);
    } finally {
      delete process.env['MODELMETER_WORKER_NICE'];
    }
  });

  it('stores the same rows and rollups as the inline path, and announces each commit', async () => {
    expect((threaded as unknown as { ingest: { writesInThread: boolean } }).ingest.writesInThread).toBe(true);
    const inline = new Harness(NOW);
    try {
      for (const batch of BATCHES) {
        expect(await threaded.ingestRequests(batch)).toEqual(await inline.service.ingestRequests(batch));
      }
      // Posted at once: they share transactions in the thread, as inline.
      const together = await Promise.all(BATCHES.map((batch) => threaded.ingestRequests(batch.map((r) => ({ ...r, ts: (r.ts as number) + 1 })))));
      for (const batch of BATCHES) await inline.service.ingestRequests(batch.map((r) => ({ ...r, ts: (r.ts as number) + 1 })));
      expect(together.every((result) => result.accepted === 40)).toBe(true);
      expect(h.dump()).toEqual(inline.dump());
      const announced = events.filter((event) => event.type === 'requests');
      expect(announced.reduce((sum, event) => sum + (event.type === 'requests' ? event.count : 0), 0)).toBe(480);
      expect(announced[0]).toEqual({ type: 'requests', count: 40, models: expect.arrayContaining(['alpha', 'beta', 'gamma']) });
    } finally {
      inline.close();
    }
  });

  it('prices with a version the main connection added just before', async () => {
    await threaded.ingestRequests([req(NOW - 1000, 'alpha')]);
    expect(stored(h).cost).toBeNull();
    await threaded.addPriceVersion({ model: 'alpha', version: { method: 'tokens', currency: 'USD', effectiveFrom: DAY0, tiers: [{ maxPromptTokens: null, input: 1, output: 1 }] } });
    await threaded.ingestRequests([req(NOW - 500, 'alpha')]);
    // 1,000 tokens at 1 per 1M: 1,000,000 nanos each, the first re-priced on main, the second in the thread.
    expect(stored(h)).toEqual({ n: 2, cost: 2_000_000 });
  });

  it('prices with the catalogue the main connection uses when the batch is sent', async () => {
    const cloud = { model: 'gpt-4o', apiType: 'openai', inputTokens: 1_000_000, outputTokens: 0 };
    await threaded.ingestRequests([{ ts: NOW - 3000, ...cloud }]);
    expect(stored(h).cost).toBeGreaterThan(0);
    h.ledger.ctx.catalogue = null;
    await threaded.ingestRequests([{ ts: NOW - 2000, ...cloud }]);
    const costs = h.ledger.db.prepare<[], number | null>(`SELECT cost_nanos FROM requests ORDER BY id`).pluck().all();
    expect(costs[1]).toBeNull();
  });

  it('shares names and request ids with writes on the main connection, in the same milliseconds', async () => {
    const ts = NOW - 10_000;
    for (let round = 0; round < 5; round++) {
      const viaThread = threaded.ingestRequests(Array.from({ length: 30 }, (_, i) => req(ts + (i % 3), `shared-${i % 4}`, { project: '/src/q' })));
      // Same names, same milliseconds, on the main connection (an importer's direct write).
      const direct: RequestRecord[] = Array.from({ length: 30 }, (_, i) => ({
        ts: ts + (i % 3),
        model: `shared-${(i + round) % 5}`,
        apiType: null, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true, failureClass: null,
        statusCode: null, latencyMs: null, ttftMs: null, channel: null, source: null, requestId: null, project: '/src/q',
      }));
      expect(threaded.writeRecords(direct).accepted).toBe(30);
      expect((await viaThread).accepted).toBe(30);
    }
    expect(stored(h).n).toBe(300);
    const names = h.ledger.db.prepare<[], string>(`SELECT name FROM models ORDER BY name`).pluck().all();
    expect(names).toEqual(['shared-0', 'shared-1', 'shared-2', 'shared-3', 'shared-4']);
    const rolled = h.ledger.db.prepare<[], number>(`SELECT sum(requests) FROM rollup_minute`).pluck().get();
    expect(rolled).toBe(300);
  });

  it('flush() waits for every batch in the thread, and later batches are committed on the main connection', async () => {
    const posted = BATCHES.map((batch) => threaded.ingestRequests(batch));
    await new Promise((resolve) => setImmediate(resolve));
    threaded.flush();
    expect(stored(h).n).toBe(240);
    expect((await Promise.all(posted)).map((result) => result.accepted)).toEqual([40, 40, 40, 40, 40, 40]);
    expect(await threaded.ingestRequests([req(NOW - 1, 'late')])).toEqual({ accepted: 1, duplicates: 0 });
    expect(stored(h).n).toBe(241);
  });

  it('the proxy path (buffered writer) commits through the thread', async () => {
    const writer = threaded.createBufferedWriter({ batchSize: 10, intervalMs: 20 });
    const record = (i: number): RequestRecord => ({
      ts: NOW - 100 + i, model: 'proxied', apiType: 'openai', inputTokens: i, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true,
      failureClass: null, statusCode: 200, latencyMs: 5, ttftMs: null, channel: '00000000000000ff', source: null, requestId: null,
    });
    for (let i = 0; i < 25; i++) writer.add(record(i));
    writer.close();
    threaded.flush();
    expect(stored(h).n).toBe(25);
    // The writer counts a batch once its promise settled.
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.stats).toMatchObject({ pending: 0, written: 25, failedFlushes: 0 });
  });

  it('commits launchers\' run events in the thread: the same runs and refusals as inline, no write on the main connection', async () => {
    const inline = new Harness(NOW);
    const ctx = h.ledger.ctx;
    const write = ctx.write.bind(ctx);
    let mainWrites = 0;
    ctx.write = <T>(work: () => T): T => {
      mainWrites++;
      return write(work);
    };
    closers.push(() => (ctx.write = write));
    try {
      const steps = [
        { at: NOW, event: { model: 'qwen', event: 'start', source: 'llama-swap' } },
        { at: NOW + 30_000, event: { model: 'qwen', event: 'heartbeat', source: 'llama-swap' } },
        { at: NOW + 60_000, event: { model: 'llama', event: 'heartbeat', source: 'ollama' } },
        { at: NOW + 90_000, event: { model: 'qwen', event: 'stop', source: 'llama-swap', ts: NOW + 80_000 } },
      ] as const;
      for (const step of steps) {
        h.now = inline.now = step.at;
        expect(await threaded.reportRun(step.event)).toEqual(await inline.service.reportRun(step.event));
      }
      const unknown = { model: 'qwen', event: 'heartbeat', runId: 999 } as const;
      const [fromThread, fromInline] = await Promise.all([threaded.reportRun(unknown).catch((e: unknown) => e), inline.service.reportRun(unknown).catch((e: unknown) => e)]);
      expect(fromThread).toMatchObject({ code: 'not_found' });
      expect((fromThread as { toBody(): unknown }).toBody()).toEqual((fromInline as { toBody(): unknown }).toBody());
      expect(mainWrites).toBe(0);
      expect(await threaded.listRuns({})).toEqual(await inline.service.listRuns({}));
      expect(events.filter((event) => event.type === 'runs')).toHaveLength(steps.length);
    } finally {
      inline.close();
    }
  });
});

/** A worker script written for the test: `body` runs in the thread, with `port` and `signal` from workerData. */
function script(name: string, body: string): URL {
  const file = path.join(h.dir, name);
  fs.writeFileSync(
    file,
    `import { workerData } from 'node:worker_threads';\nconst { port } = workerData;\nconst send = (m) => { port.postMessage(m); const s = new Int32Array(workerData.signal); Atomics.add(s, 0, 1); Atomics.notify(s, 0); };\n${body}\n`,
  );
  return pathToFileURL(file);
}

function client(workerUrl: URL): { client: WriteWorkerClient; inline: GroupCommitWriter; committed: WriteResult[]; log: string[] } {
  const committed: WriteResult[] = [];
  const log: string[] = [];
  const inline = new GroupCommitWriter(h.ledger, (results) => committed.push(...results));
  const made = new WriteWorkerClient({ ledger: h.ledger, workerUrl, fallback: inline, onCommit: (results) => committed.push(...results), log: (line) => log.push(line), drainTimeoutMs: 2_000 });
  closers.push(() => made.close());
  return { client: made, inline, committed, log };
}

const RECORD: RequestRecord = {
  ts: NOW - 5, model: 'm', apiType: null, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true,
  failureClass: null, statusCode: null, latencyMs: null, ttftMs: null, channel: null, source: null, requestId: null,
};

/**
 * Frames in the WAL now, as another connection sees them (its PASSIVE checkpoint reports them). The
 * writer thread's timed checkpoint may hold the checkpoint lock at that moment, and SQLite then reports
 * -1: asked again a little later (a full test run on a busy machine met it).
 */
function walFrames(file: string): number {
  const other = new BetterSqlite3(file);
  try {
    other.pragma('wal_autocheckpoint = 0');
    for (let attempt = 1; ; attempt++) {
      const frames = (other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
      if (frames !== -1 || attempt === 100) return frames;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  } finally {
    other.close();
  }
}

/** A write of ~`pages` pages on the main connection, as a slice of a deletion is. */
function mainWrite(pages: number): void {
  h.ledger.write(() => h.ledger.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('filler', ?)`).run('x'.repeat(pages * 4096)));
}

describe('checkpoints while the writer thread runs', () => {
  it('are the thread\'s: the main connection folds nothing into the file (short of a WAL 4 times the usual), and what it committed is folded in when it asks', async () => {
    const { client: c } = client(WORKER);
    await c.submit([RECORD]);
    expect(h.ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_PAGES_BESIDE_THREAD);
    expect(h.ledger.ctx.checkpointer).toBe(c);
    // Past the pages at which a connection that checkpoints would have folded them in itself.
    for (let i = 0; i < 3; i++) mainWrite(CHECKPOINT_PAGES / 2);
    expect(walFrames(h.file)).toBeGreaterThan(CHECKPOINT_PAGES);
    await c.checkpoint();
    // Folded in: the next write starts the WAL over.
    mainWrite(1);
    expect(walFrames(h.file)).toBeLessThan(20);

    c.close();
    expect(h.ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_PAGES);
    expect(h.ledger.ctx.checkpointer).toBe(null);
    // No thread: a checkpoint asked for is a turn of the event loop.
    await c.checkpoint();
  }, 30_000);

  it('a long write on the main connection waits between its slices for one now and then (StoreContext.betweenWrites)', async () => {
    const { client: c } = client(WORKER);
    await c.submit([RECORD]);
    let asked = 0;
    const checkpoint = c.checkpoint.bind(c);
    c.checkpoint = () => {
      asked++;
      return checkpoint();
    };
    const started = performance.now();
    let slices = 0;
    for (; performance.now() - started < 600; slices++) {
      mainWrite(200);
      await h.ledger.ctx.betweenWrites();
    }
    // Every 250 ms, not after every slice; and the WAL started over after them: it holds well under what
    // the slices wrote (a half on a quiet machine; on a busy one, a checkpoint that a reader kept from
    // finishing starts it over only at the next one, so three quarters).
    expect(slices).toBeGreaterThan(10);
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(asked).toBeLessThanOrEqual(4);
    expect(walFrames(h.file)).toBeLessThan((slices * 200 * 3) / 4);
  }, 30_000);
});

describe('when the writer thread fails', () => {
  it('a checkpoint asked of a thread that dies lets its caller go on, and the main connection checkpoints again', async () => {
    const dying = script('dies-on-checkpoint.mjs', `send({ type: 'ready' }); port.on('message', (m) => { if (m.type === 'checkpoint') process.exit(3); });`);
    const { client: c } = client(dying);
    // Ready once a batch could be sent to it: wait for the thread's hello.
    const deadline = Date.now() + 10_000;
    while (!(c as unknown as { ready: boolean }).ready && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_PAGES_BESIDE_THREAD);
    await c.checkpoint();
    expect(h.ledger.db.pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_PAGES);
    expect(h.ledger.ctx.checkpointer).toBe(null);
  });

  it('a thread that dies with batches in hand rejects them as unavailable (nothing acknowledged), and the next batch starts a new one', async () => {
    const dying = script('dies.mjs', `send({ type: 'ready' }); port.on('message', (m) => { if (m.type === 'batch') process.exit(3); });`);
    const { client: c, log } = client(dying);
    expect(await errorCode(c.submit([RECORD]))).toBe('unavailable');
    expect(stored(h).n).toBe(0);
    expect(log.join('\n')).toContain('writer thread stopped');
    expect(await errorCode(c.submit([RECORD]))).toBe('unavailable');
    // After MAX_WRITER_CRASHES deaths in a row the main connection commits.
    for (let i = 2; i < MAX_WRITER_CRASHES; i++) await errorCode(c.submit([RECORD]));
    expect(c.usingWorker).toBe(false);
    expect((await c.submit([RECORD])).accepted).toBe(1);
    expect(stored(h).n).toBe(1);
  });

  it('a run event sent to a thread that dies is refused as unavailable and not stored', async () => {
    const dying = script('dies-on-run.mjs', `send({ type: 'ready' }); port.on('message', (m) => { if (m.type === 'run') process.exit(3); });`);
    const { client: c } = client(dying);
    const inline = () => Promise.reject(new Error('not the inline path'));
    expect(await errorCode(c.reportRun({ model: 'qwen', event: 'start' } as never, inline))).toBe('unavailable');
    expect(h.ledger.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 0 });
  });

  it('a thread that starts while the main connection holds a write longer than its busy timeout waits for it, then commits', async () => {
    const { client: c, log } = client(WORKER);
    // The main connection mid-write for 6 s (busy_timeout is 5 s), as a model of 1M requests being deleted.
    h.ledger.db.exec('BEGIN IMMEDIATE');
    h.ledger.db.exec(`INSERT INTO meta (key, value) VALUES ('held', '1')`);
    const submitted = c.submit([RECORD]);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6_000);
    h.ledger.db.exec('COMMIT');
    expect((await submitted).accepted).toBe(1);
    expect(c.usingWorker).toBe(true);
    expect(log).toEqual([]);
    expect(stored(h).n).toBe(1);
  }, 30_000);

  it('a thread that cannot start leaves its batches to the main connection', async () => {
    const broken = script('broken.mjs', `throw new Error('no addon here');`);
    const { client: c, log } = client(broken);
    const result = await c.submit([RECORD]);
    expect(result.accepted).toBe(1);
    expect(stored(h).n).toBe(1);
    expect(c.usingWorker).toBe(false);
    expect(log.join('\n')).toContain('could not start');
  });

  it('holds neither a batch\'s parsed body nor its records while the thread commits them', async () => {
    // Whatever is still referenced when a scavenge runs is copied on the event loop: a batch kept
    // alive until its commit answers costs every scavenge in between.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // Answers each batch a second after it arrives (the records' count, decoded from the batch).
    const slow = script(
      'slow.mjs',
      `send({ type: 'ready' }); port.on('message', (m) => { if (m.type === 'batch') setTimeout(() => send({ type: 'committed', outcomes: [{ id: m.id, ok: true, result: { accepted: m.records.count, duplicates: 0, models: new Set() } }] }), 1_000); if (m.type === 'close') { send({ type: 'closed' }); port.close(); } });`,
    );
    const service = new LedgerService(h.ledger, { writes: 'worker', writeWorker: slow });
    closers.push(() => service.flush());
    // Once up: a batch sent before the thread is ready is kept for the main connection.
    await service.ingestRequests([req(NOW - 3, 'warm')]);
    const watched: WeakRef<object>[] = [];
    const send = (): { viaService: Promise<unknown>; viaClient: Promise<unknown> } => {
      const body = Array.from({ length: 50 }, (_, i) => req(NOW - 10 - i, 'held', { requestId: `held-${i}` }));
      const records: RequestRecord[] = Array.from({ length: 50 }, (_, i) => ({ ...RECORD, requestId: `direct-${i}` }));
      watched.push(new WeakRef(body), new WeakRef(body[0]!), new WeakRef(records), new WeakRef(records[0]!));
      return { viaService: service.ingestRequests(body), viaClient: (service as unknown as { ingest: { thread: WriteWorkerClient } }).ingest.thread.submit(records) };
    };
    const { viaService, viaClient } = send();
    // Validation takes a few turns of the event loop; the thread answers a second later.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(watched.map((ref) => ref.deref() === undefined)).toEqual([true, true, true, true]);
    expect(await viaService).toEqual({ accepted: 50, duplicates: 0 });
    expect(await viaClient).toMatchObject({ accepted: 50 });
  });

  it('an error in a batch reaches its caller with the ApiError the inline path throws, and the others commit', async () => {
    const { client: c, committed } = client(WORKER);
    const good = c.submit([RECORD]);
    const bad = c.submit([{ ...RECORD, model: 'x', inputTokens: Number.NaN }]);
    expect((await good).accepted).toBe(1);
    await expect(bad).rejects.toBeInstanceOf(Error);
    expect(committed.map((result) => result.accepted)).toEqual([1]);
    expect(stored(h).n).toBe(1);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BudgetService } from '../../../../electron/app/budget-service.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { jsonText, type JsonAnswer, type ReadCall } from '../../../../electron/ledger/reads/protocol.js';
import { MAX_READ_WORKERS, readWorkerCount, ReadWorkerPool, WORKER_DEPTH } from '../../../../electron/ledger/reads/read-pool.js';
import { InlineReads, type ReadExecutor } from '../../../../electron/ledger/reads/reads.js';
import { ApiError } from '../../../../shared/errors.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { ensureBuiltCore, ROOT } from '../../../support/built-core.js';
import { Harness } from '../store/harness.js';

/** The worker runs compiled JavaScript: these tests use dist/, rebuilt first when older than the sources. */
const WORKER = pathToFileURL(path.join(ROOT, 'dist/electron/ledger/reads/read-worker.js'));

beforeAll(ensureBuiltCore, 180_000);

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 4 * DAY + 5 * HOUR + 11 * MINUTE;

const req = (ts: number, model: string, extra: Partial<RequestRecordInput> = {}): RequestRecordInput => ({ ts, model, inputTokens: 700, outputTokens: 300, ...extra });
const SEED = Array.from({ length: 300 }, (_, i) => req(DAY0 + i * 19 * MINUTE, i % 4 === 0 ? 'alpha' : 'beta', { success: i % 7 !== 0, project: i % 2 ? '/p/one' : '/p/two' }));

const SUMMARY: ReadCall = { op: 'summary', range: { from: 0, to: NOW } };
const REQUESTS: ReadCall = { op: 'requests', args: { from: 0, to: NOW + 1, limit: 5 } };

/** Counts what reaches it: a fallback the pool must (or must not) leave calls to. */
class CountingReads implements ReadExecutor {
  calls = 0;
  constructor(private readonly inner: ReadExecutor) {}
  run<C extends ReadCall>(call: C, now: number) {
    this.calls++;
    return this.inner.run(call, now);
  }
  runJson(call: ReadCall, now: number) {
    this.calls++;
    return this.inner.runJson(call, now);
  }
  close() {
    return this.inner.close();
  }
}

let h: Harness;
let fallback: CountingReads;
const pools: ReadWorkerPool[] = [];
beforeEach(async () => {
  h = new Harness(NOW);
  await h.service.ingestRequests(SEED);
  fallback = new CountingReads(new InlineReads(h.ledger));
});
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  h.close();
});

function pool(workerUrl: URL, size: number): ReadWorkerPool {
  const made = new ReadWorkerPool({ file: h.file, workerUrl, fallback, size });
  pools.push(made);
  return made;
}

/**
 * A fake read worker written for the test: `setup` runs before it says ready, `onCall` for each call
 * (`message`; `nap` is there to wait on); closing is handled.
 */
function fakeWorker(name: string, onCall: string, setup = ''): URL {
  const file = path.join(h.dir, name);
  fs.writeFileSync(
    file,
    `import fs from 'node:fs';
import { parentPort, threadId } from 'node:worker_threads';
const nap = new Int32Array(new SharedArrayBuffer(4));
${setup}
parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (message) => {
  if (message === 'close') return parentPort.close();
${onCall}
});
`,
  );
  return pathToFileURL(file);
}

/** The lines a fake worker appended to `file` so far. */
function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * A slowed worker: logs "<threadId> <op>" when a call reaches it, and holds summary calls until the
 * release file exists (a synchronous wait, as a long query is), answering with its thread id. With
 * `lateStart`, every worker but the first comes up (says ready) that many ms late.
 */
function heldWorker(log: string, release: string, lateStart?: number): URL {
  const starts = JSON.stringify(path.join(h.dir, 'starts.txt'));
  return fakeWorker(
    'held.mjs',
    `  fs.appendFileSync(${JSON.stringify(log)}, threadId + ' ' + message.call.op + '\\n');
  if (message.call.op === 'summary') while (!fs.existsSync(${JSON.stringify(release)})) Atomics.wait(nap, 0, 0, 2);
  parentPort.postMessage({ type: 'reply', id: message.id, ok: true, value: { json: String(threadId) } });`,
    `process.on('exit', () => fs.appendFileSync(${JSON.stringify(log)}, threadId + ' exit\\n'));
fs.appendFileSync(${starts}, 'x');
if (${lateStart ?? 0} > 0 && fs.readFileSync(${starts}, 'utf8').length > 1) Atomics.wait(nap, 0, 0, ${lateStart ?? 0});`,
  );
}

/**
 * A worker that logs "<threadId> <op>" when a call reaches it and holds a summary whose range starts
 * at N (N > 0) until the file release-N exists in `dir`; it answers with its thread id.
 */
function gatedWorker(log: string, dir: string): URL {
  return fakeWorker(
    'gated.mjs',
    `  fs.appendFileSync(${JSON.stringify(log)}, threadId + ' ' + message.call.op + '\\n');
  const gate = message.call.op === 'summary' && message.call.range.from > 0 ? ${JSON.stringify(dir)} + '/release-' + message.call.range.from : null;
  if (gate) while (!fs.existsSync(gate)) Atomics.wait(nap, 0, 0, 2);
  parentPort.postMessage({ type: 'reply', id: message.id, ok: true, value: { json: String(threadId) } });`,
  );
}

const gatedSummary = (n: number): ReadCall => ({ op: 'summary', range: { from: n, to: NOW } });

describe('the read worker pool', () => {
  it('serves parallel calls at the same time, each in its own worker', async () => {
    const log = path.join(h.dir, 'log.txt');
    const release = path.join(h.dir, 'release');
    const reads = pool(heldWorker(log, release), 2);
    const first = reads.runJson(SUMMARY, NOW);
    const second = reads.runJson(SUMMARY, NOW);
    // Both long calls are under way before either is answered: no call waits behind the other.
    await vi.waitFor(() => expect(lines(log)).toHaveLength(2), { timeout: 10_000, interval: 10 });
    const threads = lines(log).map((line) => line.split(' ')[0]);
    expect(new Set(threads).size).toBe(2);
    fs.writeFileSync(release, '');
    const answers = (await Promise.all([first, second])).map((answer) => answer.json);
    expect(answers.sort()).toEqual([...threads].sort());
    expect(fallback.calls).toBe(0);
  });

  it('sends a call to an idle worker before a busy one, and starts no more than its size', async () => {
    const log = path.join(h.dir, 'log.txt');
    const release = path.join(h.dir, 'release');
    const reads = pool(heldWorker(log, release), 2);
    const held = reads.runJson(SUMMARY, NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    const busy = lines(log)[0]!.split(' ')[0];
    const quick: JsonAnswer[] = [];
    for (let i = 0; i < 4; i++) quick.push(await reads.runJson(REQUESTS, NOW));
    // The first worker holds its call: every later one went to the other, started for them.
    expect(quick.map((answer) => answer.json).filter((thread) => thread === busy)).toEqual([]);
    expect(new Set(quick.map((answer) => answer.json)).size).toBe(1);
    expect(reads.started).toBe(2);
    fs.writeFileSync(release, '');
    expect((await held).json).toBe(busy);
  });

  it('keeps a call for a busy worker rather than one still starting, once a worker is up', async () => {
    const log = path.join(h.dir, 'log.txt');
    const release = path.join(h.dir, 'release');
    // The first worker comes up at once, later ones after 1.5 s (a real one takes ~0.5 s on the 2-core machine).
    const reads = pool(heldWorker(log, release, 1_500), 2);
    const held = reads.runJson(SUMMARY, NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    const first = lines(log)[0]!.split(' ')[0];
    const started = performance.now();
    const waiting = reads.runJson(REQUESTS, NOW);
    // A second worker is starting for the load, but the call waits in the pool for the first.
    expect(reads.started).toBe(2);
    expect(reads.queued).toBe(1);
    setTimeout(() => fs.writeFileSync(release, ''), 50);
    expect((await waiting).json).toBe(first);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await held).json).toBe(first);
  });

  it('queues a call while every worker holds its most and gives it to the first with room', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 2);
    // Two held calls each (WORKER_DEPTH): the first worker holds 1 and 3, the second 2 and 4.
    const held = [1, 2, 3, 4].map((n) => reads.runJson(gatedSummary(n), NOW));
    await vi.waitFor(() => expect(lines(log)).toHaveLength(2), { timeout: 10_000, interval: 10 });
    expect(WORKER_DEPTH).toBe(2);
    const waiting = reads.runJson(REQUESTS, NOW);
    expect(reads.queued).toBe(1);
    // The second worker gets room first: the waiting call goes there, not behind the first's 1 and 3.
    fs.writeFileSync(path.join(h.dir, 'release-2'), '');
    const secondThread = (await held[1]!).json;
    expect(reads.queued).toBe(0);
    fs.writeFileSync(path.join(h.dir, 'release-4'), '');
    expect((await waiting).json).toBe(secondThread);
    expect(lines(log).slice(2).map((line) => line.split(' ')[1])).toEqual(['summary', 'requests']);
    fs.writeFileSync(path.join(h.dir, 'release-1'), '');
    fs.writeFileSync(path.join(h.dir, 'release-3'), '');
    expect((await held[0]!).json).not.toBe(secondThread);
    expect((await held[2]!).json).not.toBe(secondThread);
    expect(reads.started).toBe(2);
  });

  it('sends a waiting request log page before waiting sums, the sums in arrival order', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 1);
    const held = reads.runJson(gatedSummary(1), NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    const history: ReadCall = { op: 'history', args: { range: { from: DAY0, to: NOW }, interval: 3_600, groupBy: 'model' } };
    // The worker holds the gated summary and the history (WORKER_DEPTH): the rest wait here.
    const later = [reads.runJson(history, NOW), reads.runJson(SUMMARY, NOW), reads.runJson(REQUESTS, NOW), reads.runJson({ op: 'projects', limit: 3 }, NOW)];
    expect(reads.queued).toBe(3);
    fs.writeFileSync(path.join(h.dir, 'release-1'), '');
    await Promise.all([held, ...later]);
    expect(lines(log).map((line) => line.split(' ')[1])).toEqual(['summary', 'history', 'requests', 'projects', 'summary']);
  });

  it('starts one worker while calls come one at a time', async () => {
    const reads = pool(WORKER, 2);
    for (let i = 0; i < 5; i++) expect((await reads.run(SUMMARY, NOW)).totals.requests).toBe(SEED.length);
    expect(reads.started).toBe(1);
  });

  it('answers a dashboard burst from real workers exactly as the inline reads do, as data and as JSON text', async () => {
    const reads = pool(WORKER, 2);
    const inline = new InlineReads(h.ledger);
    const calls: ReadCall[] = [
      SUMMARY,
      { op: 'summary', range: { from: DAY0, to: NOW }, project: '/p/one' },
      { op: 'history', args: { range: { from: DAY0, to: NOW }, interval: 3_600, groupBy: 'model' } },
      { op: 'history', args: { range: { from: DAY0, to: NOW }, interval: 86_400, groupBy: 'project' } },
      REQUESTS,
      { op: 'projects', limit: 10 },
    ];
    const [texts, objects] = await Promise.all([Promise.all(calls.map((call) => reads.runJson(call, NOW))), Promise.all(calls.map((call) => reads.run(call, NOW)))]);
    for (const [i, call] of calls.entries()) {
      const expected = await inline.runJson(call);
      expect(jsonText(texts[i]!), call.op).toBe(jsonText(expected));
      expect(texts[i]!.facts, call.op).toEqual(expected.facts);
      expect(jsonText(texts[i]!)).toBe(JSON.stringify(objects[i]));
      // Everything but a summary (whose text the main thread appends to) arrives as transferred bytes.
      expect(Buffer.isBuffer(texts[i]!.json), call.op).toBe(call.op !== 'summary');
    }
    expect(reads.started).toBe(2);
    expect(fallback.calls).toBe(0);
  });

  it('fails the calls of a worker that dies with unavailable, and starts a new one for the next call', async () => {
    const starts = path.join(h.dir, 'starts.txt');
    const reads = pool(
      fakeWorker(
        'dies-on-requests.mjs',
        `  if (message.call.op === 'requests') process.exit(3);
  parentPort.postMessage({ type: 'reply', id: message.id, ok: true, value: { json: 'alive' } });`,
        `fs.appendFileSync(${JSON.stringify(starts)}, 'x');`,
      ),
      2,
    );
    expect((await reads.runJson(SUMMARY, NOW)).json).toBe('alive');
    const failed = await reads.runJson(REQUESTS, NOW).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).code).toBe('unavailable');
    expect(fs.readFileSync(starts, 'utf8')).toBe('x');
    expect((await reads.runJson(SUMMARY, NOW)).json).toBe('alive');
    expect(fs.readFileSync(starts, 'utf8')).toBe('xx');
    expect(fallback.calls).toBe(0);
  });

  it('answers what it was sent, then stops every worker on close; later calls are answered here', async () => {
    const log = path.join(h.dir, 'log.txt');
    const release = path.join(h.dir, 'release');
    const reads = pool(heldWorker(log, release), 2);
    const held = reads.runJson(SUMMARY, NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    await reads.runJson(REQUESTS, NOW);
    expect(reads.started).toBe(2);
    fs.writeFileSync(release, '');
    await reads.close();
    expect((await held).json).toMatch(/^\d+$/);
    expect(lines(log).filter((line) => line.endsWith(' exit'))).toHaveLength(2);
    expect(reads.usingWorkers).toBe(false);
    expect((await reads.run(SUMMARY, NOW)).totals.requests).toBe(SEED.length);
    expect(fallback.calls).toBe(1);
  });
});

describe('warming the pool', () => {
  /** The ops each worker thread was given, in order: thread id -> ops. */
  const byThread = (log: string): Map<string, string[]> => {
    const threads = new Map<string, string[]>();
    for (const [thread, op] of lines(log).map((line) => line.split(' '))) {
      if (op === 'exit') continue;
      threads.set(thread!, [...(threads.get(thread!) ?? []), op!]);
    }
    return threads;
  };

  it('has each worker started so far run the calls once, in order, in their JSON form, and starts none', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 2);
    expect(await reads.warm([SUMMARY, REQUESTS, { op: 'projects', limit: 3 }], NOW)).toBe(true);
    expect(reads.started).toBe(1);
    expect([...byThread(log).values()]).toEqual([['summary', 'requests', 'projects']]);
    expect(fallback.calls).toBe(0);
  });

  it('warms every worker real calls started, and warms even when real calls came first', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 2);
    // Two held calls at once: the second starts the second worker.
    const held = [reads.runJson(gatedSummary(1), NOW), reads.runJson(gatedSummary(2), NOW)];
    await vi.waitFor(() => expect(lines(log)).toHaveLength(2), { timeout: 10_000, interval: 10 });
    fs.writeFileSync(path.join(h.dir, 'release-1'), '');
    fs.writeFileSync(path.join(h.dir, 'release-2'), '');
    await Promise.all(held);
    expect(await reads.warm([REQUESTS], NOW)).toBe(true);
    expect(reads.started).toBe(2);
    expect([...byThread(log).values()]).toEqual([
      ['summary', 'requests'],
      ['summary', 'requests'],
    ]);
  });

  it('holds one call a worker at a time, so a real call asked meanwhile goes before the next warming call', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 1);
    const warming = reads.warm([gatedSummary(1), SUMMARY], NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    // The worker holds the first warming call: the real call gets the room beside it, not a place behind the warming.
    const real = reads.runJson(REQUESTS, NOW);
    expect(reads.queued).toBe(0);
    fs.writeFileSync(path.join(h.dir, 'release-1'), '');
    await Promise.all([real, warming]);
    expect(lines(log).map((line) => line.split(' ')[1])).toEqual(['summary', 'requests', 'summary']);
  });

  it('stops when the pool closes, and never runs a warming call on the main thread', async () => {
    const log = path.join(h.dir, 'log.txt');
    const reads = pool(gatedWorker(log, h.dir), 2);
    const warming = reads.warm([gatedSummary(2), SUMMARY, SUMMARY], NOW);
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    // Closing while the worker holds the first warming call: it answers that one, and the rest are not sent.
    const closing = reads.close();
    fs.writeFileSync(path.join(h.dir, 'release-2'), '');
    await closing;
    await warming;
    expect(lines(log).filter((line) => !line.endsWith(' exit'))).toHaveLength(1);
    expect(fallback.calls).toBe(0);
  });
});

/**
 * A worker that logs "<op> <range.from> <now> <form>" when a call reaches it, holds a summary whose
 * range starts at N (N > 0) until release-N exists in `dir`, and answers a summary from 13 with an
 * error; other answers are the range's start.
 */
function echoWorker(log: string, dir: string): URL {
  return fakeWorker(
    'echo.mjs',
    `  const from = message.call.op === 'summary' ? message.call.range.from : 0;
  fs.appendFileSync(${JSON.stringify(log)}, [message.call.op, from, message.now, message.form].join(' ') + '\\n');
  if (from > 0) while (!fs.existsSync(${JSON.stringify(dir)} + '/release-' + from)) Atomics.wait(nap, 0, 0, 2);
  if (from === 13) return parentPort.postMessage({ type: 'reply', id: message.id, ok: false, error: { message: 'the read broke' } });
  parentPort.postMessage({ type: 'reply', id: message.id, ok: true, value: message.form === 'json' ? { json: 'from ' + from } : { from } });`,
  );
}

describe('identical calls asked while one waits', () => {
  /** One worker busy with gated summaries 1 and 2 (WORKER_DEPTH): what is asked next waits in the pool. */
  async function busyPool(log: string): Promise<{ reads: ReadWorkerPool; held: Promise<JsonAnswer>[] }> {
    const reads = pool(echoWorker(log, h.dir), 1);
    const held = [reads.runJson(gatedSummary(1), NOW), reads.runJson(gatedSummary(2), NOW)];
    await vi.waitFor(() => expect(lines(log)).toHaveLength(1), { timeout: 10_000, interval: 10 });
    expect(reads.queued).toBe(0);
    return { reads, held };
  }
  const release = (...gates: number[]) => gates.forEach((n) => fs.writeFileSync(path.join(h.dir, `release-${n}`), ''));

  it('are read once, at the latest asker\'s now, and each asker gets the text', async () => {
    const log = path.join(h.dir, 'log.txt');
    const { reads, held } = await busyPool(log);
    const asked = [reads.runJson(gatedSummary(5), NOW), reads.runJson(gatedSummary(5), NOW + 7_000), reads.runJson(gatedSummary(5), NOW + 3_000)];
    expect(reads.queued).toBe(1);
    release(1, 2, 5);
    const answers = await Promise.all(asked);
    expect(answers.map(jsonText)).toEqual(['from 5', 'from 5', 'from 5']);
    await Promise.all(held);
    expect(lines(log)).toEqual([`summary 1 ${NOW} json`, `summary 2 ${NOW} json`, `summary 5 ${NOW + 7_000} json`]);
  });

  it('are not joined to a call a worker was already given, nor to another call or form', async () => {
    const log = path.join(h.dir, 'log.txt');
    const { reads, held } = await busyPool(log);
    // Summary 1 is in the worker: it may have read before this caller's writes, so it is asked again.
    const again = reads.runJson(gatedSummary(1), NOW + 1);
    const asJson = reads.runJson(gatedSummary(5), NOW);
    const asData = [reads.run(gatedSummary(5), NOW), reads.run(gatedSummary(5), NOW + 2)];
    const other = reads.runJson({ op: 'summary', range: { from: 5, to: NOW - 1 } }, NOW);
    expect(reads.queued).toBe(4);
    release(1, 2, 5);
    await Promise.all([...held, again, asJson, ...asData, other]);
    expect(lines(log)).toEqual([
      `summary 1 ${NOW} json`,
      `summary 2 ${NOW} json`,
      `summary 1 ${NOW + 1} json`,
      `summary 5 ${NOW} json`,
      `summary 5 ${NOW + 2} object`,
      `summary 5 ${NOW} json`,
    ]);
  });

  it('give each asker of data an object of its own', async () => {
    const log = path.join(h.dir, 'log.txt');
    const { reads, held } = await busyPool(log);
    const asked = [reads.run(gatedSummary(5), NOW), reads.run(gatedSummary(5), NOW)];
    expect(reads.queued).toBe(1);
    release(1, 2, 5);
    const [first, second] = await Promise.all(asked);
    await Promise.all(held);
    expect(first).toEqual({ from: 5 });
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });

  it('fail together when their read fails, and a call asked after it left the queue is read anew', async () => {
    const log = path.join(h.dir, 'log.txt');
    const { reads, held } = await busyPool(log);
    const failing = [reads.runJson(gatedSummary(13), NOW), reads.runJson(gatedSummary(13), NOW)];
    release(1, 2, 13);
    for (const result of await Promise.allSettled(failing)) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'the read broke' } });
    await Promise.all(held);
    await expect(reads.runJson(gatedSummary(13), NOW)).rejects.toThrow('the read broke');
    expect(lines(log).filter((line) => line.startsWith('summary 13'))).toHaveLength(2);
  });

  it('share a real worker\'s lent bytes until every asker has released them', async () => {
    const reads = pool(WORKER, 1);
    // Four days in two-minute buckets: well over the size whose memory goes back to the worker.
    const big: ReadCall = { op: 'history', args: { range: { from: DAY0, to: NOW }, interval: 120, groupBy: 'model' } };
    const expected = jsonText(await new InlineReads(h.ledger).runJson(big));
    expect(expected.length).toBeGreaterThan(64 * 1024);
    // Two go to the worker at once (WORKER_DEPTH), the third and fourth wait together.
    const answers = await Promise.all([1, 2, 3, 4].map(() => reads.runJson(big, NOW)));
    const [, , third, fourth] = answers;
    expect(third!.json).toBe(fourth!.json);
    third!.release!();
    third!.release!();
    expect(jsonText(fourth!)).toBe(expected);
    fourth!.release!();
    for (const answer of answers.slice(0, 2)) expect(jsonText(answer)).toBe(expected);
  });
});

describe('the service with a pool of read workers', () => {
  it('answers the JSON text its objects serialise to, as the inline service does', async () => {
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER, readWorkers: 2 });
    try {
      await h.service.updateSettings({ displayCurrency: 'EUR', currencyRates: { USD: 0.9 } });
      const range = { from: DAY0, to: NOW };
      const [summary, history, requests, projects] = await Promise.all([
        inWorker.getSummaryJson(range),
        inWorker.getHistoryJson({ ...range, groupBy: 'model' }),
        inWorker.listRequestsJson({ limit: 9 }),
        inWorker.listProjectsJson({}),
      ]);
      expect(summary.json).toBe(JSON.stringify(await h.service.getSummary(range)));
      expect(summary.json).toContain('"converted":{"currency":"EUR"');
      expect(jsonText(history)).toBe(JSON.stringify(await h.service.getHistory({ ...range, groupBy: 'model' })));
      expect(jsonText(requests)).toBe(JSON.stringify(await h.service.listRequests({ limit: 9 })));
      expect(jsonText(projects)).toBe(JSON.stringify(await h.service.listProjects({})));
      expect(summary).toEqual(await h.service.getSummaryJson(range));
    } finally {
      await inWorker.closeReads();
    }
  });

  it('warms its worker with today\'s and the last 30 days\' summary and history by model, then reads the month\'s forecast', async () => {
    const log = path.join(h.dir, 'log.txt');
    const url = fakeWorker(
      'recording.mjs',
      `  fs.appendFileSync(${JSON.stringify(log)}, threadId + ' ' + JSON.stringify(message.call) + '\\n');
  parentPort.postMessage({ type: 'reply', id: message.id, ok: true, value: { json: '{}' } });`,
    );
    /** The calls each worker thread was given, in order. */
    const byThread = (): ReadCall[][] => {
      const threads = new Map<string, ReadCall[]>();
      for (const line of lines(log)) {
        const at = line.indexOf(' ');
        threads.set(line.slice(0, at), [...(threads.get(line.slice(0, at)) ?? []), JSON.parse(line.slice(at + 1)) as ReadCall]);
      }
      return [...threads.values()];
    };
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: url, readWorkers: 2 });
    try {
      await inWorker.warmReads();
      const today = { from: Date.UTC(2024, 5, 7), to: NOW };
      const month = { from: NOW - 30 * DAY, to: NOW };
      const expected: ReadCall[] = [
        { op: 'summary', range: today },
        { op: 'history', args: { range: today, interval: 300, groupBy: 'model' } },
        { op: 'summary', range: month },
        { op: 'history', args: { range: month, interval: 86_400, groupBy: 'model' } },
      ];
      expect(byThread().map((calls) => calls.slice(0, 4))).toEqual([expected]);
      // Then the month's forecast, once (its answer here is not one, so it fails, unseen): its daily
      // history of the month so far is among its reads.
      const daily = () => byThread().flatMap((calls) => calls.slice(4)).filter((call) => call.op === 'history' && call.args.interval === 86_400);
      await vi.waitFor(() => expect(daily()).toEqual([{ op: 'history', args: { range: { from: Date.UTC(2024, 5, 1), to: NOW }, interval: 86_400 } }]), { timeout: 5_000, interval: 10 });
    } finally {
      await inWorker.closeReads();
    }
  });

  it('warms nothing, and reads no forecast, when the reads run on the main thread', async () => {
    const forecast = vi.spyOn(BudgetService.prototype, 'getForecast');
    await h.service.warmReads();
    expect(forecast).not.toHaveBeenCalled();
    forecast.mockRestore();
  });
});

describe('readWorkerCount', () => {
  it('takes MODELMETER_READ_WORKERS, else one per core up to 2', () => {
    expect(readWorkerCount({}, 1)).toBe(1);
    expect(readWorkerCount({}, 2)).toBe(2);
    expect(readWorkerCount({}, 16)).toBe(2);
    expect(readWorkerCount({ MODELMETER_READ_WORKERS: '3' }, 2)).toBe(3);
  });

  it('refuses a value that is not a whole number in range, naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'two', String(MAX_READ_WORKERS + 1)]) {
      expect(() => readWorkerCount({ MODELMETER_READ_WORKERS: bad }, 2)).toThrow(/MODELMETER_READ_WORKERS must be a whole number from 1 to 8/);
    }
  });
});

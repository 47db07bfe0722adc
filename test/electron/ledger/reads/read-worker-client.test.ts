import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RECYCLED_MIN_BYTES } from '../../../../electron/ledger/reads/answer-buffers.js';
import { MAX_CRASHES, ReadWorkerClient } from '../../../../electron/ledger/reads/read-worker-client.js';
import type { ReadCall } from '../../../../electron/ledger/reads/protocol.js';
import { InlineReads, type ReadExecutor } from '../../../../electron/ledger/reads/reads.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { ApiError } from '../../../../shared/errors.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { ensureBuiltCore, ROOT } from '../../../support/built-core.js';
import { threadNices, threadsAt } from '../../../support/thread-nice.js';
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
const SEED = Array.from({ length: 300 }, (_, i) => req(DAY0 + i * 19 * MINUTE, i % 4 === 0 ? 'alpha' : 'beta', { success: i % 7 !== 0 }));

/** Counts what reaches it: a fallback the worker must (or must not) leave calls to. */
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
const clients: ReadWorkerClient[] = [];
const services: LedgerService[] = [];
beforeEach(async () => {
  h = new Harness(NOW);
  await h.service.ingestRequests(SEED);
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const service of services.splice(0)) await service.closeReads();
  h.close();
});

function client(workerUrl: URL, fallback: CountingReads): ReadWorkerClient {
  const made = new ReadWorkerClient({ file: h.file, workerUrl, fallback });
  clients.push(made);
  return made;
}

/** A worker script written for the test: `body` runs in the worker thread. */
function script(name: string, body: string): URL {
  const file = path.join(h.dir, name);
  fs.writeFileSync(file, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
  return pathToFileURL(file);
}

describe('the service with reads in the worker', () => {
  it.runIf(process.platform === 'linux')('runs its read worker five nice steps below the process (MODELMETER_WORKER_NICE), the main thread as it was', async () => {
    const mainNice = threadNices().get(process.pid)!;
    // Five steps below the process; the test runner may itself run niced.
    const LOWERED = Math.min(19, mainNice + 5);
    const before = threadsAt(LOWERED);
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER, readWorkers: 1 });
    services.push(inWorker);
    await inWorker.getSummary({ range: '24h' });
    expect(threadsAt(LOWERED)).toBe(before + 1);
    expect(threadNices().get(process.pid)).toBe(mainNice);

    process.env['MODELMETER_WORKER_NICE'] = '0';
    try {
      const unchanged = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER, readWorkers: 1 });
      services.push(unchanged);
      await unchanged.getSummary({ range: '24h' });
      expect(threadsAt(LOWERED)).toBe(before + 1);
    } finally {
      delete process.env['MODELMETER_WORKER_NICE'];
    }
  });

  it('answers summary, history and the request log as the inline service does, before and after writes', async () => {
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER });
    services.push(inWorker);
    const compare = async () => {
      for (const query of [{ range: 'today' }, { range: '24h' }, { range: '30d' }, { from: DAY0, to: NOW }] as const) {
        expect(await inWorker.getSummary(query)).toEqual(await h.service.getSummary(query));
      }
      for (const query of [{ range: '24h', groupBy: 'model' }, { range: '7d' }, { range: '30d', groupBy: 'model', model: 'alpha' }] as const) {
        expect(await inWorker.getHistory(query)).toEqual(await h.service.getHistory(query));
      }
      for (const query of [{ limit: 25 }, { model: 'beta', limit: 10, before: '1' + '0'.repeat(15) }, { model: 'nobody' }]) {
        expect(await inWorker.listRequests(query)).toEqual(await h.service.listRequests(query));
      }
    };
    await compare();
    await h.service.ingestRequests([req(NOW - MINUTE, 'gamma')]);
    await h.service.addPriceVersion({ model: 'beta', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2 }] } });
    await h.service.updateSettings({ displayCurrency: 'EUR', currencyRates: { USD: 0.9 } });
    const summary = await inWorker.getSummary({ range: '30d' });
    expect(summary.models.map((model) => model.model)).toContain('gamma');
    expect(summary.converted?.amount).toBeGreaterThan(0);
    await compare();
  });

  it('writes an export out, page by page, byte for byte as the inline service does', async () => {
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER });
    services.push(inWorker);
    await h.service.reportRun({ model: 'alpha', event: 'start', ts: DAY0 + HOUR });
    await h.service.reportRun({ model: 'alpha', event: 'stop', ts: DAY0 + 3 * HOUR });
    const read = async (service: LedgerService, filter: Parameters<LedgerService['exportPages']>[0]) => {
      const pages: Buffer[] = [];
      const counts: (number | null | undefined)[] = [];
      for await (const page of service.exportPages(filter)) {
        pages.push(Buffer.from(page.bytes));
        counts.push(page.requests, page.total);
      }
      return { bytes: Buffer.concat(pages), counts };
    };
    for (const filter of [{ format: 'csv' }, { format: 'json' }, { format: 'json', model: 'beta', from: DAY0 + DAY }, { format: 'csv', model: 'nobody' }] as const) {
      const inline = await read(h.service, filter);
      const worker = await read(inWorker, filter);
      expect(worker.bytes.equals(inline.bytes)).toBe(true);
      expect(worker.counts).toEqual(inline.counts);
    }
    const all = await read(inWorker, { format: 'csv' });
    expect(all.bytes.toString('utf8').trimEnd().split('\n')).toHaveLength(1 + SEED.length + 1);
    // The first page says how many requests to expect; the pages' counts add up to it.
    expect(all.counts).toEqual([SEED.length, SEED.length, 0, undefined]);
  });

  it('passes errors on with the code, message and details the inline call gives', async () => {
    const inWorker = new LedgerService(h.ledger, { reads: 'worker', readWorker: WORKER });
    services.push(inWorker);
    const query = { from: DAY0, to: NOW, interval: 1 };
    const inline = await h.service.getHistory(query).catch((error: unknown) => error);
    const worker = await inWorker.getHistory(query).catch((error: unknown) => error);
    expect(inline).toBeInstanceOf(ApiError);
    expect(worker).toBeInstanceOf(ApiError);
    expect((worker as ApiError).toBody()).toEqual((inline as ApiError).toBody());
  });
});

describe('the read worker client', () => {
  const call: ReadCall = { op: 'summary', range: { from: 0, to: NOW } };

  it('answers from the worker, not from its fallback', async () => {
    const fallback = new CountingReads(new InlineReads(h.ledger));
    const reads = client(WORKER, fallback);
    const answers = await Promise.all([reads.run(call, NOW), reads.run({ op: 'requests', args: { from: 0, to: NOW + 1, limit: 5 } }, NOW)]);
    expect(answers[0].totals.requests).toBe(SEED.length);
    expect(answers[1].requests).toHaveLength(5);
    expect(fallback.calls).toBe(0);
    expect(reads.usingWorker).toBe(true);
  });

  it('answers what was sent before close(), then stops', async () => {
    const fallback = new CountingReads(new InlineReads(h.ledger));
    const reads = client(WORKER, fallback);
    const pending = reads.run(call, NOW);
    await reads.close();
    expect((await pending).totals.requests).toBe(SEED.length);
    expect(fallback.calls).toBe(0);
  });

  it('fails the calls a dying worker held with unavailable, and starts a new one for the next', async () => {
    const fallback = new CountingReads(new InlineReads(h.ledger));
    const file = path.join(h.dir, 'starts.txt');
    const reads = client(
      script('dies.mjs', `import fs from 'node:fs';\nfs.appendFileSync(${JSON.stringify(file)}, 'x');\nparentPort.postMessage({ type: 'ready' });\nparentPort.on('message', () => process.exit(3));`),
      fallback,
    );
    for (let i = 1; i <= MAX_CRASHES; i++) {
      const failed = await reads.run(call, NOW).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ApiError);
      expect((failed as ApiError).code).toBe('unavailable');
      expect(fs.readFileSync(file, 'utf8')).toHaveLength(i);
    }
    // Dead every time without answering anything: reads now run on this thread.
    expect(reads.usingWorker).toBe(false);
    expect((await reads.run(call, NOW)).totals.requests).toBe(SEED.length);
    expect(fallback.calls).toBe(1);
  });

  it('answers on this thread when the worker cannot start at all', async () => {
    const fallback = new CountingReads(new InlineReads(h.ledger));
    const reads = client(script('broken.mjs', `throw new Error('no addon here');`), fallback);
    expect((await reads.run(call, NOW)).totals.requests).toBe(SEED.length);
    expect(reads.usingWorker).toBe(false);
    expect(fallback.calls).toBe(1);
  });
});

describe("a big answer's bytes", () => {
  const pageOf = (limit: number): ReadCall => ({ op: 'requests', args: { from: 0, to: NOW + 1, limit } });
  const page = pageOf(SEED.length);
  const expected = async (call = page) => JSON.stringify(await new InlineReads(h.ledger).run(call));

  it('are lent by the worker and go back once released; every later answer is whole', async () => {
    const reads = client(WORKER, new CountingReads(new InlineReads(h.ledger)));
    const text = await expected();
    const first = await reads.runJson(page, NOW);
    expect(first.json.toString()).toBe(text);
    expect(first.release).toBeTypeOf('function');
    first.release!();
    // Moved back to the worker: nothing is left here to read by mistake.
    expect(first.json.length).toBe(0);
    first.release!();
    // Two different answers at a time, written into the memory given back: neither overwrites the other.
    const calls = [pageOf(SEED.length), pageOf(SEED.length - 60)];
    const texts = await Promise.all(calls.map((call) => expected(call)));
    for (const text of texts) expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(RECYCLED_MIN_BYTES);
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(calls.map((call) => reads.runJson(call, NOW)));
      answers.forEach((answer, i) => expect(answer.json.toString()).toBe(texts[i]));
      for (const answer of answers) answer.release!();
    }
  });

  it('of a small answer are not lent', async () => {
    const reads = client(WORKER, new CountingReads(new InlineReads(h.ledger)));
    const answer = await reads.runJson({ op: 'requests', args: { from: 0, to: NOW + 1, limit: 5 } }, NOW);
    expect(answer.release).toBeUndefined();
  });

  it('stay here when their worker has stopped: a new worker never gets memory it did not lend', async () => {
    const reads = client(WORKER, new CountingReads(new InlineReads(h.ledger)));
    const answer = await reads.runJson(page, NOW);
    await reads.close();
    answer.release!();
    expect(answer.json.toString()).toBe(await expected());
  });
});

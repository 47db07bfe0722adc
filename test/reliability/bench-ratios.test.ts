import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '../../electron/app/ledger-service.js';
import { Ledger } from '../../electron/ledger/store/ledger.js';
import { buildCatalogue, DAY_MS, HOST_SHARE, HOSTS, HOUR_MS, recordBatches } from '../../bench/dataset.js';
import { SqlReference } from '../../bench/p3-queries.js';
import { LatencyBook } from '../../bench/load/latency.js';
import { ratioMet, ratioValue, trendPerSample, type Ratio } from '../../bench/util.js';

// The benchmark's own arithmetic and its references: a wrong reference would make every ratio it
// prints meaningless, so the hand-written SQL must count exactly what the product's answers count.

const ratio = (over: Partial<Ratio>): Ratio => ({
  id: 'X',
  what: 'x',
  figure: 30,
  limit: 100,
  limitWhat: 'y',
  unit: 'records/s',
  kind: 'ratio',
  target: 0.65,
  better: 'higher',
  ...over,
});

describe('ratios', () => {
  it('divides a ratio and subtracts a difference, and judges each against its target', () => {
    expect(ratioValue(ratio({}))).toBeCloseTo(0.3);
    expect(ratioMet(ratio({}))).toBe(false);
    expect(ratioMet(ratio({ figure: 70 }))).toBe(true);
    const overhead = ratio({ kind: 'difference', figure: 23.9, limit: 23.6, unit: 'ms', target: 0.5, better: 'lower' });
    expect(ratioValue(overhead)).toBeCloseTo(0.3);
    expect(ratioMet(overhead)).toBe(true);
    expect(ratioMet({ ...overhead, figure: 25 })).toBe(false);
  });

  it('has no value when either side was not measured', () => {
    expect(ratioValue(ratio({ limit: null }))).toBeNull();
    expect(ratioMet(ratio({ figure: null }))).toBeNull();
    expect(ratioValue(ratio({ limit: 0 }))).toBeNull();
  });
});

describe('drift over a load run', () => {
  it('is the least-squares slope per sample: flat for a sawtooth, the step for a straight line', () => {
    expect(trendPerSample([5, 7, 9, 11])).toBeCloseTo(2);
    expect(trendPerSample([300, 330, 300, 330, 300, 330, 300, 330, 300, 330, 300])).toBeCloseTo(0, 0);
    expect(trendPerSample([3])).toBeNaN();
  });

  it('keeps a part of the run apart by marks of the calls recorded', () => {
    const book = new LatencyBook();
    for (const ms of [10, 11, 12]) book.add('refresh', ms);
    const mark = book.count('refresh');
    for (const ms of [90, 95]) book.add('refresh', ms);
    expect(book.stats('refresh', 0, mark)?.max).toBe(12);
    expect(book.stats('refresh', mark)?.p50).toBe(90);
    expect(book.stats('refresh')?.count).toBe(5);
  });

  it('marks every kind of call at once, so each kind keeps its own part of the run', () => {
    const book = new LatencyBook();
    book.add('summary', 4);
    book.add('history', 7);
    book.add('history', 8);
    const marks = book.marks();
    book.add('summary', 40);
    expect([...marks]).toEqual([
      ['summary', 1],
      ['history', 2],
    ]);
    expect(book.stats('summary', marks.get('summary'))?.max).toBe(40);
    expect(book.stats('history', marks.get('history'))).toBeNull();
  });
});

describe('benchmark dataset', () => {
  it('gives about one record in five a host, only the known machine names', () => {
    const catalogue = buildCatalogue(7);
    let hosts = 0;
    let total = 0;
    const names = new Set<string>();
    for (const batch of recordBatches({ records: 20_000, endTs: 1_800_000_000_000, days: 1, seed: 7 }, catalogue, 5_000)) {
      for (const record of batch) {
        total++;
        if (record.host) {
          hosts++;
          names.add(record.host);
        }
      }
    }
    expect(total).toBe(20_000);
    expect(hosts / total).toBeGreaterThan(HOST_SHARE - 0.02);
    expect(hosts / total).toBeLessThan(HOST_SHARE + 0.02);
    expect([...names].sort()).toEqual([...HOSTS].sort());
  });
});

describe('P3 hand-written SQL reference', () => {
  const endTs = Date.UTC(2026, 10, 20, 15, 37, 12, 345);
  let dir: string;
  let file: string;
  let ledger: Ledger;
  let service: LedgerService;
  let reference: SqlReference;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-ref-'));
    file = path.join(dir, 'ledger.db');
    ledger = Ledger.open(file, { now: () => endTs });
    service = new LedgerService(ledger);
    const catalogue = buildCatalogue(11);
    for (const batch of recordBatches({ records: 30_000, endTs, days: 3, seed: 11 }, catalogue, 5_000)) await service.writeRecords(batch);
    // As the dataset build does: minute rollups trimmed, so the old edge of a range reads raw rows.
    ledger.maintenance.trimMinuteRollups(endTs);
    reference = new SqlReference(file);
    reference.refreshCoverage();
  });

  afterAll(async () => {
    reference.close();
    await service.closeReads();
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sumOf = (cells: Map<string, number[]>, prefix: string, index: number) => [...cells].filter(([key]) => key.startsWith(prefix)).reduce((sum, [, sums]) => sum + sums[index]!, 0);

  it('sums the same requests and tokens as the summary, by model and by project', async () => {
    const window = { from: endTs - 2 * DAY_MS - 5 * HOUR_MS - 123_457, to: endTs - 61_001 };
    const summary = await service.getSummary(window);
    const cells = reference.summary(window);
    expect(summary.totals.requests).toBeGreaterThan(10_000);
    expect(sumOf(cells, 'm', 0)).toBe(summary.totals.requests);
    expect(sumOf(cells, 'm', 1)).toBe(summary.totals.failures);
    expect(sumOf(cells, 'm', 2)).toBe(summary.totals.inputTokens);
    const models = new Set([...cells].filter(([key, sums]) => key.startsWith('m') && sums[0]! > 0).map(([key]) => key.split('|')[0]));
    expect(models.size).toBe(summary.models.filter((model) => model.requests > 0).length);
    const named = (summary.byProject ?? []).filter((row) => row.project !== null).reduce((sum, row) => sum + row.requests, 0);
    expect(named).toBeGreaterThan(0);
    expect(sumOf(cells, 'project', 0)).toBe(named);
    // Hosts: once the store keeps them, the summary splits by machine and the reference reads those rows too.
    if (summary.byHost) {
      const forwarded = summary.byHost.filter((row) => row.host !== null).reduce((sum, row) => sum + row.requests, 0);
      expect(forwarded).toBeGreaterThan(0);
      expect(sumOf(cells, 'host', 0)).toBe(forwarded);
    }
  });

  it('sums the same requests per local day and model as the history', async () => {
    const window = { from: endTs - 3 * DAY_MS + 7 * HOUR_MS + 999, to: endTs - 1_234 };
    // What "auto" picks for 30 days (whole local days); asked for outright on this shorter span.
    const history = await service.getHistory({ ...window, groupBy: 'model', interval: 86_400 });
    expect(history.interval).toBe(86_400);
    const product = new Map<string, number>();
    for (const bucket of history.buckets) if (bucket.requests > 0) product.set(`${bucket.ts}|${bucket.model}`, bucket.requests);
    const names = new Map((ledger.db.prepare('SELECT id, name FROM models').all() as { id: number; name: string }[]).map((row) => [row.id, row.name]));
    const mine = new Map<string, number>();
    for (const [key, sums] of reference.historyByDay(window)) {
      const [day, model] = key.split('|');
      const name = `${day}|${names.get(Number(model))}`;
      mine.set(name, (mine.get(name) ?? 0) + sums[0]!);
    }
    for (const [key, count] of mine) if (count === 0) mine.delete(key);
    expect(mine.size).toBeGreaterThan(50);
    expect(mine).toEqual(product);
  });
});

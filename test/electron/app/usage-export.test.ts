import { describe, expect, it } from 'vitest';
import { EXPORT_PAGE, type ExportChunk } from '../../../electron/app/usage-service.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const DAY0 = Date.UTC(2026, 5, 1);

const ledger = useSlicedLedgers(DAY0 + 86_400_000);

async function text(pages: AsyncIterable<ExportChunk>): Promise<{ text: string; pages: number; requests: number[]; total: number | null | undefined }> {
  let joined = '';
  let count = 0;
  const requests: number[] = [];
  let total: number | null | undefined;
  for await (const page of pages) {
    joined += Buffer.from(page.bytes).toString('utf8');
    if (count === 0) total = page.total;
    else expect(page.total).toBeUndefined();
    requests.push(page.requests);
    count++;
  }
  return { text: joined, pages: count, requests, total };
}

describe('an export of many requests', () => {
  const COUNT = 2 * EXPORT_PAGE + 500;
  const records = Array.from({ length: COUNT }, (_, i) => ({ ts: DAY0 + i * 1_000, model: i % 2 ? 'gpt-4o' : 'qwen3', inputTokens: i, outputTokens: 1, requestId: `r-${i}` }));

  it(`comes in pages of ${EXPORT_PAGE} requests with a turn of the event loop between them, every row once, oldest first`, async () => {
    const h = ledger();
    for (let at = 0; at < records.length; at += 1_000) await h.service.ingestRequests(records.slice(at, at + 1_000));

    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const json = await text(h.service.exportPages({ format: 'json', from: DAY0, to: DAY0 + 86_400_000 }));
    counting = false;

    const rows = JSON.parse(json.text) as { requestId: string; inputTokens: number }[];
    expect(rows.map((row) => row.requestId)).toEqual(records.map((record) => record.requestId));
    expect(rows.map((row) => row.inputTokens)).toEqual(records.map((record) => record.inputTokens));
    // Three pages of requests, then the (empty) page of runs; the first says how many to expect.
    expect(json.pages).toBe(4);
    expect(json.requests).toEqual([EXPORT_PAGE, EXPORT_PAGE, 500, 0]);
    expect(json.total).toBe(COUNT);
    // A proxied call or a dashboard read waits behind one page at most, not the whole export (read
    // here on the main thread: the tests run from TypeScript sources, without the read worker).
    expect(turns).toBeGreaterThanOrEqual(3);

    const csv = await text(h.service.exportPages({ format: 'csv', model: 'qwen3' }));
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time,ts,model,/);
    expect(lines.slice(1).map((line) => line.split(',')[15])).toEqual(records.filter((record) => record.model === 'qwen3').map((record) => record.requestId));
  });

  it('reads no further than the page ahead when its reader stops early', async () => {
    const h = ledger();
    for (let at = 0; at < records.length; at += 1_000) await h.service.ingestRequests(records.slice(at, at + 1_000));
    const pages = h.service.exportPages({ format: 'csv' });
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(await pages.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await pages.next()).toEqual({ done: true, value: undefined });
  });

  it('counts what to expect from the rollups, under the same filters as the rows', async () => {
    const h = ledger();
    const mixed = records.slice(0, 1_000).map((record, i) => ({ ...record, ...(i % 3 === 0 ? { project: '/srv/shop' } : {}) }));
    await h.service.ingestRequests(mixed);
    await h.service.reportRun({ model: 'qwen3', event: 'start', ts: DAY0 });
    const exported = async (filter: object) => {
      const got = await text(h.service.exportPages({ format: 'json', ...filter }));
      const rows = JSON.parse(got.text) as { kind: string }[];
      return { total: got.total, requests: got.requests.reduce((a, b) => a + b, 0), rows: rows.filter((row) => row.kind === 'request').length };
    };
    expect(await exported({})).toEqual({ total: 1_000, requests: 1_000, rows: 1_000 });
    expect(await exported({ model: 'qwen3' })).toEqual({ total: 500, requests: 500, rows: 500 });
    expect(await exported({ project: '/srv/shop', model: 'gpt-4o' })).toEqual({ total: 167, requests: 167, rows: 167 });
    expect(await exported({ from: DAY0 + 100_000, to: DAY0 + 200_000 })).toEqual({ total: 100, requests: 100, rows: 100 });
    expect(await exported({ host: '@local' })).toEqual({ total: 1_000, requests: 1_000, rows: 1_000 });
    // No rollup set holds a project and a machine together: the rows come, the total is unknown.
    expect(await exported({ project: '/srv/shop', host: '@local' })).toEqual({ total: null, requests: 334, rows: 334 });
    expect(await exported({ model: 'nobody' })).toEqual({ total: 0, requests: 0, rows: 0 });
  });

  it('an unknown model, project or machine gives the header alone, or an empty array', async () => {
    const h = ledger();
    await h.service.ingestRequests(records.slice(0, 10));
    for (const filter of [{ model: 'nobody' }, { project: '/nowhere' }, { host: 'no-such-box' }]) {
      expect((await text(h.service.exportPages({ format: 'csv', ...filter }))).text).toMatch(/^time,ts,model,[^\n]*\n$/);
      expect(JSON.parse((await text(h.service.exportPages({ format: 'json', ...filter }))).text)).toEqual([]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { EXPORT_PAGE } from '../../../electron/app/usage-service.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const DAY0 = Date.UTC(2026, 5, 1);

const ledger = useSlicedLedgers(DAY0 + 86_400_000);

async function text(pages: AsyncIterable<Uint8Array>): Promise<{ text: string; pages: number }> {
  let joined = '';
  let count = 0;
  for await (const page of pages) {
    joined += Buffer.from(page).toString('utf8');
    count++;
  }
  return { text: joined, pages: count };
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
    const json = await text(h.service.exportText({ format: 'json', from: DAY0, to: DAY0 + 86_400_000 }));
    counting = false;

    const rows = JSON.parse(json.text) as { requestId: string; inputTokens: number }[];
    expect(rows.map((row) => row.requestId)).toEqual(records.map((record) => record.requestId));
    expect(rows.map((row) => row.inputTokens)).toEqual(records.map((record) => record.inputTokens));
    // Three pages of requests, then the (empty) page of runs.
    expect(json.pages).toBe(4);
    // A proxied call or a dashboard read waits behind one page at most, not the whole export (read
    // here on the main thread: the tests run from TypeScript sources, without the read worker).
    expect(turns).toBeGreaterThanOrEqual(3);

    const csv = await text(h.service.exportText({ format: 'csv', model: 'qwen3' }));
    const lines = csv.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time,ts,model,/);
    expect(lines.slice(1).map((line) => line.split(',')[15])).toEqual(records.filter((record) => record.model === 'qwen3').map((record) => record.requestId));
  });

  it('reads no further than the page ahead when its reader stops early', async () => {
    const h = ledger();
    for (let at = 0; at < records.length; at += 1_000) await h.service.ingestRequests(records.slice(at, at + 1_000));
    const pages = h.service.exportText({ format: 'csv' });
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(await pages.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await pages.next()).toEqual({ done: true, value: undefined });
  });

  it('an unknown model, project or machine gives the header alone, or an empty array', async () => {
    const h = ledger();
    await h.service.ingestRequests(records.slice(0, 10));
    for (const filter of [{ model: 'nobody' }, { project: '/nowhere' }, { host: 'no-such-box' }]) {
      expect((await text(h.service.exportText({ format: 'csv', ...filter }))).text).toMatch(/^time,ts,model,[^\n]*\n$/);
      expect(JSON.parse((await text(h.service.exportText({ format: 'json', ...filter }))).text)).toEqual([]);
    }
  });
});

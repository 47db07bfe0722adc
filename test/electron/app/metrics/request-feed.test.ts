import { afterEach, describe, expect, it } from 'vitest';
import { RequestFeed } from '../../../../electron/app/metrics/request-feed.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 1, 12);

function record(ts: number, model: string, inputTokens: number): RequestRecord {
  return {
    ts, model, apiType: 'openai', inputTokens, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true, failureClass: null,
    statusCode: 200, latencyMs: 100, ttftMs: null, channel: null, source: null, requestId: null, provider: 'openai',
  } as RequestRecord;
}

describe('RequestFeed: each stored request once, history never', () => {
  let ledger: Ledger;
  let now = T0;
  afterEach(() => ledger.close());

  it('hands out the requests stored since start, a late one included, and none twice', () => {
    ledger = Ledger.open(':memory:', { now: () => now });
    const write = (records: RequestRecord[]) => ledger.write(() => ledger.requests.write(records));
    write([record(T0 - 2 * MINUTE, 'old', 1), record(T0 - 30 * MINUTE, 'older', 2)]);
    const feed = new RequestFeed(ledger, 10 * MINUTE);
    feed.start();
    expect(feed.drain()).toEqual([]);

    write([record(T0 + 1, 'a', 10), record(T0 + 2, 'b', 20)]);
    expect(feed.drain().map((s) => [s.model, s.inputTokens, s.provider, s.apiType])).toEqual([['a', 10, 'openai', 'openai'], ['b', 20, 'openai', 'openai']]);
    expect(feed.drain()).toEqual([]);

    // Stored now, timed five minutes ago (below what was handed out): still handed out, once.
    now = T0 + MINUTE;
    write([record(T0 - 4 * MINUTE, 'late', 30)]);
    expect(feed.drain().map((s) => s.model)).toEqual(['late']);
    expect(feed.drain()).toEqual([]);

    // Timed before the look-back when stored (an import): history, not traffic.
    write([record(T0 - 60 * MINUTE, 'imported', 40), record(now, 'c', 50)]);
    expect(feed.drain().map((s) => s.model)).toEqual(['c']);
  });
});

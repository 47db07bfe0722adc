import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitWriter, MAX_COMMIT_RECORDS } from '../../../../electron/ledger/ingest/group-commit.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';
import type { WriteResult } from '../../../../electron/ledger/store/request-writer.js';

const NOW = Date.UTC(2026, 10, 20, 12);

function batch(size: number, tag: string): RequestRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    ts: NOW - i, model: 'm', apiType: null, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true,
    failureClass: null, statusCode: null, latencyMs: null, ttftMs: null, channel: null, source: null, requestId: `${tag}-${i}`,
  }));
}

let ledger: Ledger | undefined;
afterEach(() => ledger?.close());

describe('GroupCommitWriter', () => {
  it(`commits batches arriving together in transactions of at most ${MAX_COMMIT_RECORDS} records, one turn of the event loop each`, async () => {
    ledger = Ledger.open(':memory:', { now: () => NOW });
    const commits: WriteResult[][] = [];
    const writer = new GroupCommitWriter(ledger, (results) => commits.push(results));
    const half = Math.floor(MAX_COMMIT_RECORDS / 2) + 1;
    const results = await Promise.all([writer.submit(batch(half, 'a')), writer.submit(batch(half, 'b')), writer.submit(batch(10, 'c'))]);
    expect(results.map((r) => r.accepted)).toEqual([half, half, 10]);
    // a alone (a + b would pass the limit), then b and c together.
    expect(commits.map((group) => group.map((r) => r.accepted))).toEqual([[half], [half, 10]]);
  });

  it('writes everything queued at once on flush (close)', async () => {
    ledger = Ledger.open(':memory:', { now: () => NOW });
    const writer = new GroupCommitWriter(ledger);
    const pending = [writer.submit(batch(MAX_COMMIT_RECORDS, 'a')), writer.submit(batch(MAX_COMMIT_RECORDS, 'b'))];
    writer.flush();
    expect(ledger.db.prepare('SELECT count(*) AS n FROM requests').get()).toEqual({ n: 2 * MAX_COMMIT_RECORDS });
    await Promise.all(pending);
  });
});

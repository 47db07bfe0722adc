import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitWriter, MAX_COMMIT_RECORDS } from '../../../../electron/ledger/ingest/group-commit.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import type { RequestRecord } from '../../../../shared/schemas/request-record.js';
import type { WriteResult } from '../../../../electron/ledger/store/request-writer.js';
import { ALL_FULL_KEY_TABLES, DIMENSIONS } from '../../../../electron/ledger/store/rollups.js';

const NOW = Date.UTC(2026, 10, 20, 12);

function batch(size: number, tag: string): RequestRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    ts: NOW - i, model: 'm', apiType: null, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, success: true,
    failureClass: null, statusCode: null, latencyMs: null, ttftMs: null, channel: null, source: null, requestId: `${tag}-${i}`,
  }));
}

let ledger: Ledger | undefined;
afterEach(() => ledger?.close());

/** Records over an hour and a half, across projects, hosts, channels and models, some sharing an answer. */
function mixed(size: number, tag: string, offsetMs: number): RequestRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    ts: NOW - offsetMs - i * 9_000,
    model: `m${i % 3}`,
    apiType: 'openai',
    inputTokens: 10 + i,
    outputTokens: i % 7,
    cacheReadTokens: i % 5,
    cacheWriteTokens: 0,
    success: i % 11 !== 0,
    failureClass: i % 11 === 0 ? ('retryable' as const) : null,
    statusCode: null,
    latencyMs: 100 + i,
    ttftMs: null,
    channel: i % 2 === 0 ? 'c-aaaa' : 'c-bbbb',
    source: null,
    requestId: `${tag}-${i}`,
    ...(i % 4 === 0 ? {} : { project: `p${i % 3}` }),
    ...(i % 5 === 0 ? { host: 'other-machine' } : {}),
    // The same answer in two batches: the later one only adds its project to the stored row.
    ...(i % 10 === 0 ? { responseId: `answer-${i}` } : {}),
  }));
}

/** Every rollup row (plain, per project and host, and their totals), in key order. */
function rollups(of: Ledger): Record<string, unknown[]> {
  const tables = [...ALL_FULL_KEY_TABLES, ...DIMENSIONS.flatMap((d) => [d.totals.rollup_hour, d.totals.rollup_day])];
  return Object.fromEntries(tables.map((table) => [table, of.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`).all()]));
}

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

  it('sums the rollups of batches committed together once, to the same rows as batches written one by one', async () => {
    const batches = [mixed(400, 'a', 0), mixed(400, 'b', 60_000), mixed(300, 'c', 30_000).map((r, i) => (i % 10 === 0 ? { ...r, project: 'late' } : r))];
    const apart = Ledger.open(':memory:', { now: () => NOW });
    try {
      for (const records of batches) apart.write(() => apart.requests.write(records));
      ledger = Ledger.open(':memory:', { now: () => NOW });
      const commits: WriteResult[][] = [];
      const writer = new GroupCommitWriter(ledger, (results) => commits.push(results));
      const results = await Promise.all(batches.map((records) => writer.submit(records)));
      expect(commits.map((group) => group.length)).toEqual([3]);
      expect(results.map((r) => [r.accepted, r.duplicates])).toEqual([[400, 0], [360, 40], [270, 30]]);
      const together = rollups(ledger);
      expect(together['rollup_project_hour']!.length).toBeGreaterThan(0);
      expect(together).toEqual(rollups(apart));
      // Each hour the group touched was written once: its version was raised once, not once per batch.
      const versions = (of: Ledger) => of.db.prepare('SELECT bucket, version FROM rollup_hour_versions ORDER BY bucket').all() as { bucket: number; version: number }[];
      expect(versions(ledger).map((row) => row.version)).toEqual(versions(apart).map(() => 1));
      expect(Math.max(...versions(apart).map((row) => row.version))).toBe(3);
    } finally {
      apart.close();
    }
  });

  it('writes each batch of a group in its own savepoint when one fails: the others are committed, once', async () => {
    ledger = Ledger.open(':memory:', { now: () => NOW });
    const requests = ledger.requests;
    const add = requests.add.bind(requests);
    requests.add = (records) => {
      if (records.some((record) => record.requestId?.startsWith('bad-'))) throw new Error('disk says no');
      return add(records);
    };
    const writer = new GroupCommitWriter(ledger);
    const outcomes = await Promise.allSettled([writer.submit(batch(50, 'a')), writer.submit(batch(50, 'bad')), writer.submit(batch(50, 'c'))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ledger.db.prepare('SELECT count(*) AS n FROM requests').get()).toEqual({ n: 100 });
    expect(ledger.db.prepare('SELECT sum(requests) AS n FROM rollup_day').get()).toEqual({ n: 100 });
  });
});

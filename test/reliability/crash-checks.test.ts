import { describe, expect, it } from 'vitest';
import { Random } from '../../electron/hosts/demo/random.js';
import { checkIngest, IngestBook, type Post, type SentRecord } from '../../bench/crash/ingest.js';
import { checkProxy, completionTokensOf, newProxyBook, PROXY_MODEL, PROXY_SOURCE } from '../../bench/crash/proxy.js';
import { checkProgramRuns, checkRuns, Launcher, LAUNCHER_SOURCE, type Reporter } from '../../bench/crash/runs.js';
import type { Life } from '../../bench/crash/server.js';
import type { StoredRequest, StoredRun } from '../../bench/crash/snapshot.js';
import { Violations } from '../../bench/crash/violations.js';

// The crash test is only as good as its checks: each must catch the fault it is there for.

function stored(record: SentRecord): StoredRequest {
  return { ...record, source: 'crash-ingest', costNanos: null, currency: null };
}

function bookWith(violations: Violations, count: number): { book: IngestBook; records: SentRecord[] } {
  const book = new IngestBook(1, violations);
  const random = new Random(5);
  const records = Array.from({ length: count }, () => book.newRecord(random, 1));
  return { book, records };
}

describe('the ingest check', () => {
  it('passes when every acknowledged record is stored once, as sent', () => {
    const violations = new Violations();
    const { book, records } = bookWith(violations, 3);
    for (const record of records) record.acked = true;
    const check = checkIngest(book, records.map(stored), 't', violations);
    expect(check).toMatchObject({ acked: 3, found: 3, lost: 0, doubled: 0, mismatched: 0 });
    expect(violations.list()).toEqual([]);
  });

  it('catches an acknowledged record that is missing, one stored twice, and one stored with other tokens', () => {
    const violations = new Violations();
    const { book, records } = bookWith(violations, 3);
    for (const record of records) record.acked = true;
    const [a, b, c] = records as [SentRecord, SentRecord, SentRecord];
    const check = checkIngest(book, [stored(b), stored(b), { ...stored(c), inputTokens: c.inputTokens + 1 }], 't', violations);
    expect(check).toMatchObject({ lost: 1, doubled: 1, mismatched: 1 });
    expect(violations.list().join('\n')).toContain(`acknowledged record ${a.requestId} (life 1) is missing`);
  });

  it('allows a record of a post cut by the kill to be stored once, but not a post stored in part or a refused record stored', () => {
    const violations = new Violations();
    const { book, records } = bookWith(violations, 3);
    const [a, b, c] = records as [SentRecord, SentRecord, SentRecord];
    a.lostPosts = 1;
    b.lostPosts = 1;
    const post: Post = { life: 1, fresh: [a, b], resent: [], shape: 'array', outcome: 'lost', retried: false };
    book.posts.push(post);
    expect(checkIngest(book, [stored(a), stored(b)], 't', violations)).toMatchObject({ unknown: 2, unknownStored: 2, partial: 0 });
    expect(violations.count).toBe(0);
    const check = checkIngest(book, [stored(a), stored(c)], 't', violations);
    expect(check).toMatchObject({ partial: 1, phantom: 1 });
  });
});

describe('the run check', () => {
  const staleMs = 10_000;
  function launcherWith(reporter: Reporter): Launcher {
    const launcher = new Launcher(1, new Violations());
    launcher.reporters.push(reporter);
    return launcher;
  }
  const dead: Reporter = {
    model: 'm',
    state: 'dead',
    silentFrom: 5_000,
    events: [
      { kind: 'start', ts: 1_000, outcome: 'acked' },
      { kind: 'heartbeat', ts: 2_000, outcome: 'acked' },
      { kind: 'heartbeat', ts: 3_000, outcome: 'lost' },
    ],
  };
  const run = (end: number | null, lastSeenAt: number): StoredRun => ({ id: 1, model: 'm', source: LAUNCHER_SOURCE, start: 1_000, end, lastSeenAt });

  it('accepts a dead reporter\'s run closed at its last heartbeat, even one whose answer was lost', () => {
    for (const last of [2_000, 3_000]) {
      const violations = new Violations();
      const check = checkRuns(launcherWith(dead), [run(last, last)], staleMs, 60_000, 't', violations);
      expect(violations.list()).toEqual([]);
      expect(check.closedAtLastHeartbeat).toBe(1);
    }
  });

  it('catches a run closed at restart time, one closed before an acknowledged heartbeat, and one left open past its stale window', () => {
    const cases: [StoredRun, RegExp][] = [
      [run(9_000, 3_000), /not at its last heartbeat/],
      [run(1_000, 1_000), /before its last acknowledged heartbeat/],
      [run(null, 3_000), /still open/],
    ];
    for (const [stored, message] of cases) {
      const violations = new Violations();
      checkRuns(launcherWith(dead), [stored], staleMs, 60_000, 't', violations);
      expect(violations.list().join('\n')).toMatch(message);
    }
  });

  it('lets a dead reporter\'s run stay open within its stale window', () => {
    const violations = new Violations();
    const check = checkRuns(launcherWith(dead), [run(null, 3_000)], staleMs, 12_000, 't', violations);
    expect(violations.list()).toEqual([]);
    expect(check.openWithinStale).toBe(1);
  });

  it('catches a killed program run closed after the kill, and one left open', () => {
    const life = (index: number, killedAt: number | null): Life => ({ index, spawnedAt: index * 100_000, healthyAt: index * 100_000 + 500, killedAt, killedPerf: null, stopped: null }) as unknown as Life;
    const lives = [life(1, 150_000), life(2, null)];
    const good = new Violations();
    expect(checkProgramRuns(lives, [{ id: 1, start: 100_100, end: 140_000 }, { id: 2, start: 200_100, end: null }], 't', good)).toBe(2);
    expect(good.list()).toEqual([]);
    const late = new Violations();
    checkProgramRuns(lives, [{ id: 1, start: 100_100, end: 150_001 }, { id: 2, start: 200_100, end: null }], 't', late);
    expect(late.list().join('\n')).toMatch(/after the kill/);
    const open = new Violations();
    checkProgramRuns(lives, [{ id: 1, start: 100_100, end: null }, { id: 2, start: 200_100, end: null }], 't', open);
    expect(open.list().join('\n')).toMatch(/left open/);
  });
});

describe('the proxy check', () => {
  const row = (serial: number): StoredRequest => ({
    requestId: null,
    model: PROXY_MODEL,
    ts: 0,
    inputTokens: serial,
    outputTokens: completionTokensOf(serial),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    success: true,
    source: PROXY_SOURCE,
    costNanos: null,
    currency: null,
  });

  it('counts a completion lost inside the buffer window and fails one lost outside it', () => {
    const book = newProxyBook();
    book.kills.set(1, 10_000);
    book.requests.set(1, { serial: 1, life: 1, doneAt: 9_000, outcome: 'completed' });
    book.requests.set(2, { serial: 2, life: 1, doneAt: 9_800, outcome: 'completed' });
    book.requests.set(3, { serial: 3, life: 1, doneAt: 9_500, outcome: 'completed' });
    const violations = new Violations();
    const check = checkProxy(book, [row(3)], 250, 100, 't', violations);
    expect(check).toMatchObject({ completed: 3, recorded: 1, lostInsideWindow: 1, lostOutsideWindow: 1, maxLostAgeMs: 1_000 });
    expect(violations.list().join('\n')).toMatch(/proxied request 1 completed 1000 ms before the kill/);
  });

  it('catches a request recorded twice and a record no request explains', () => {
    const book = newProxyBook();
    book.requests.set(1, { serial: 1, life: 1, doneAt: 1, outcome: 'completed' });
    const violations = new Violations();
    const check = checkProxy(book, [row(1), row(1), row(7)], 250, 100, 't', violations);
    expect(check).toMatchObject({ doubled: 1, phantom: 1 });
  });
});

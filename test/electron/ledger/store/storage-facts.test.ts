import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Statement } from 'better-sqlite3';
import { tsOfId } from '../../../../electron/ledger/store/request-ids.js';
import { Harness } from './harness.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 7, 10, 12);

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/** The SQL of every statement `work` prepares on the ledger's connection. */
function preparedBy(work: () => void): string[] {
  const db = h.ledger.db;
  const prepare = db.prepare.bind(db);
  const seen: string[] = [];
  db.prepare = ((source: string) => {
    seen.push(source);
    return prepare(source);
  }) as typeof db.prepare;
  try {
    work();
  } finally {
    db.prepare = prepare as typeof db.prepare;
  }
  return seen;
}

describe('storage facts', () => {
  it('tell the oldest and newest stored request and the totals', async () => {
    await h.service.ingestRequests([
      { ts: NOW - 5 * HOUR, model: 'a', inputTokens: 1 },
      { ts: NOW - HOUR, model: 'b', inputTokens: 1 },
      { ts: NOW - 3 * HOUR, model: 'a', inputTokens: 1 },
    ]);
    const facts = h.ledger.maintenance.storageFacts();
    expect(tsOfId(facts.oldestId!)).toBe(NOW - 5 * HOUR);
    expect(tsOfId(facts.newestId!)).toBe(NOW - HOUR);
    expect(facts).toMatchObject({ totalRequests: 3, models: 2 });
  });

  it('are empty on an empty ledger', () => {
    expect(h.ledger.maintenance.storageFacts()).toMatchObject({ oldestId: null, newestId: null, totalRequests: 0 });
  });

  // The Overview asks for them on every refresh, on the event loop every HTTP call shares: a scan of
  // the request table there is a stall of ~0.5 s at 10M rows (found by the load benchmark).
  it('never scan the request table', async () => {
    await h.service.ingestRequests(Array.from({ length: 100 }, (_, i) => ({ ts: NOW - i * 60_000, model: 'a', inputTokens: 1 })));
    const sql = preparedBy(() => h.ledger.maintenance.storageFacts());
    expect(sql.some((source) => /\brequests\b/.test(source))).toBe(true);
    for (const source of sql) {
      const plan = (h.ledger.db.prepare(`EXPLAIN QUERY PLAN ${source}`) as Statement<[], { detail: string }>).all().map((row) => row.detail);
      expect(plan.filter((detail) => /^SCAN requests\b/.test(detail)), source).toEqual([]);
    }
  });
});

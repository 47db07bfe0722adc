import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { zoneCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import type { PriceTier, PriceVersionInput } from '../../../../shared/schemas/pricing.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { PROJECTS as PROJECTS_SET } from '../../../../electron/ledger/store/rollups.js';
import { expectSetConsistent } from './dimension-rollups.js';
import { Harness } from './harness.js';

/**
 * Two sets of rollups (rollups.ts): the plain ones sum every request with no project, the project
 * ones (full key, and totals per project and currency) only requests that name a project. Every
 * write path must keep them consistent with each other and with the raw rows: ingest, a response id
 * that brings a project later, re-pricing (raw and expired hours), deletes, and the day rollups
 * rebuilt under another calendar.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 5 * DAY + 3 * HOUR;
const K1 = '00000000000000aa';
const K2 = '00000000000000bb';
const PROJECTS = ['/src/shop', '/src/blog', undefined];
const FLAT: PriceTier[] = [{ maxPromptTokens: null, input: 1, output: 4 }];
const DOUBLE: PriceTier[] = [{ maxPromptTokens: null, input: 2, output: 8 }];
const tokens = (tiers: PriceTier[], effectiveFrom: number): PriceVersionInput => ({ method: 'tokens', currency: 'USD', tiers, effectiveFrom });

const TABLES = [
  'rollup_minute',
  'rollup_hour',
  'rollup_day',
  'rollup_project_minute',
  'rollup_project_hour',
  'rollup_project_day',
  'rollup_project_total_hour',
  'rollup_project_total_day',
];

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/** The invariants between the plain and the project sets (dimension-rollups.ts). */
function expectConsistent(ledger: Ledger, label: string, rawFrom: number | null): void {
  expectSetConsistent(ledger, PROJECTS_SET, label, rawFrom);
}

/** Requests every 37 minutes over five days: two models, two channels, two projects and none. */
function records(): RequestRecordInput[] {
  return Array.from({ length: 190 }, (_, i) => {
    const project = PROJECTS[i % 3];
    return {
      ts: DAY0 + i * 37 * MINUTE + 11_000,
      model: `m${i % 2}`,
      channel: i % 5 === 0 ? K2 : K1,
      apiType: 'openai',
      inputTokens: 100 + i,
      outputTokens: 10 + (i % 7),
      success: i % 11 !== 0,
      ...(project === undefined ? {} : { project }),
    };
  });
}

describe('plain and project rollups', () => {
  it('stay consistent through ingest, a late project, re-pricing, expiry, deletes and another calendar', async () => {
    await h.service.addPriceVersion({ model: 'm0', version: tokens(FLAT, DAY0) });
    await h.service.ingestRequests(records());
    expectConsistent(h.ledger, 'ingest', DAY0);

    // A proxied call without a project, then the agent's log naming one.
    const call = { ts: DAY0 + 2 * DAY + 5 * MINUTE, model: 'm0', inputTokens: 1_000, outputTokens: 5, responseId: 'msg_1' };
    await h.service.ingestRequests([call]);
    const before = await h.service.getSummary({ from: DAY0, to: NOW });
    await h.service.ingestRequests([{ ...call, project: '/src/late' }]);
    expectConsistent(h.ledger, 'late project', DAY0);
    const after = await h.service.getSummary({ from: DAY0, to: NOW });
    expect(after.totals).toEqual(before.totals);
    const late = after.byProject?.find((p) => p.project === '/src/late');
    expect(late?.requests).toBe(1);
    const none = (s: typeof before) => s.byProject?.find((p) => p.project === null)?.requests;
    expect(none(after)).toBe(none(before)! - 1);

    await h.service.addPriceVersion({ model: 'm0', version: tokens(DOUBLE, DAY0 + DAY) });
    expectConsistent(h.ledger, 're-priced raw rows', DAY0);

    // Raw rows of the first two days expire; a new price for m1 is applied from the rollups there.
    await h.service.cleanup({ before: DAY0 + 2 * DAY });
    await h.service.addPriceVersion({ model: 'm1', version: tokens(FLAT, DAY0) });
    expectConsistent(h.ledger, 're-priced expired hours', DAY0 + 2 * DAY);
    const m1Projects = h.ledger.db
      .prepare<[], { n: number }>(`SELECT count(*) AS n FROM rollup_project_hour r JOIN models m ON m.id = r.model_id WHERE m.name = 'm1' AND currency_id <> 0 AND bucket < ${DAY0 + 2 * DAY}`)
      .get()!.n;
    expect(m1Projects).toBeGreaterThan(0);

    await h.service.deleteChannels({ metricsKeys: [K2], apiType: 'openai' });
    expectConsistent(h.ledger, 'channel deleted', DAY0 + 2 * DAY);
    await h.service.deleteModel({ model: 'm1' });
    expectConsistent(h.ledger, 'model deleted', DAY0 + 2 * DAY);

    // The split by project still adds up to the total after all that.
    const summary = await h.service.getSummary({ from: DAY0, to: NOW });
    expect(summary.byProject!.reduce((sum, p) => sum + p.requests, 0)).toBe(summary.totals.requests);
    expect(summary.byProject!.reduce((sum, p) => sum + (p.cost['USD'] ?? 0), 0)).toBeCloseTo(summary.totals.cost['USD'] ?? 0, 9);

    // Opened under a zone whose midnight is not on the hour: every set's days are rebuilt alike.
    h.service.flush();
    h.ledger.close();
    const kolkata = zoneCalendar('Asia/Kolkata');
    h.ledger = Ledger.open(h.file, { now: () => NOW, calendar: kolkata });
    h.service = new LedgerService(h.ledger);
    for (const table of ['rollup_day', 'rollup_project_day', 'rollup_project_total_day']) {
      const buckets = h.ledger.db.prepare<[], { bucket: number }>(`SELECT DISTINCT bucket FROM ${table}`).all();
      expect(buckets.length, table).toBeGreaterThan(0);
      expect(buckets.every(({ bucket }) => kolkata.dayStart(bucket) === bucket), table).toBe(true);
    }
    expectConsistent(h.ledger, 'another calendar', DAY0 + 2 * DAY);
    const history = await h.service.getHistory({ from: DAY0, to: NOW, groupBy: 'project' });
    expect(history.buckets.reduce((sum, b) => sum + b.requests, 0)).toBe(summary.totals.requests);
  });

  it('answer unfiltered reads from the plain rollups alone', async () => {
    // 'ghost' has a request before the range only.
    await h.service.ingestRequests([...records(), { ts: DAY0 - DAY, model: 'ghost', inputTokens: 1, outputTokens: 1 }]);
    const summary = await h.service.getSummary({ from: DAY0, to: NOW });
    // Project rollups replaced by a row of 'ghost' inside the range: reads that touched them would
    // list 'ghost' (a split always puts it back into the total, so only the model list tells).
    for (const table of TABLES.filter((t) => t.includes('project'))) h.ledger.db.exec(`DELETE FROM ${table}`);
    h.ledger.db.exec(
      `INSERT INTO rollup_project_day SELECT ${DAY0 + DAY}, 1, id, 0, 0, 0, 5, 0, 5, 5, 0, 0, 0, 0, 0 FROM models WHERE name = 'ghost'`,
    );
    // Changed behind the store's back: numbered as every write path does, so no reader reuses rows it kept.
    h.ledger.ctx.rollups.versions.touchAll();
    const again = await h.service.getSummary({ from: DAY0, to: NOW });
    expect(again.totals).toEqual(summary.totals);
    expect(again.models).toEqual(summary.models);
    // The split now says everything is without a project: it is the plain total less the (now empty) project sums.
    expect(again.byProject).toEqual([expect.objectContaining({ project: null, requests: summary.totals.requests })]);
  });
});

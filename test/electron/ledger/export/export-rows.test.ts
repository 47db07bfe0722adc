import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_START, exportRowPage, type ExportCursor, type ExportRange } from '../../../../electron/ledger/export/export-rows.js';
import type { ExportRow } from '../../../../shared/types.js';
import { Harness } from '../store/harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 5, 1);
const NOW = DAY0 + 2 * 86_400_000;

let h: Harness;
beforeEach(() => {
  h = new Harness(NOW);
});
afterEach(() => h.close());

/** Every page from the start, as the service asks them, and the cursors it was handed. */
function allPages(range: ExportRange, limit: number): { rows: ExportRow[]; cursors: (ExportCursor | null)[] } {
  const rows: ExportRow[] = [];
  const cursors: (ExportCursor | null)[] = [];
  for (let cursor: ExportCursor | null = EXPORT_START; cursor !== null; ) {
    // A cursor that stops moving would loop here for ever, out of reach of the test's timeout.
    if (cursors.length > 100) throw new Error('more than 100 pages');
    const page = exportRowPage(h.ledger, range, cursor, limit);
    expect(page.rows.filter((row) => row.kind === 'request').length).toBeLessThanOrEqual(limit);
    rows.push(...page.rows);
    cursor = page.next;
    cursors.push(cursor);
  }
  return { rows, cursors };
}

const RANGE = { from: DAY0, to: NOW };

describe('an export read page by page', () => {
  it('hands out every request of the range once, oldest first, then the runs in a page of their own', async () => {
    // Three models an hour apart, so a model filter reads the request log hour range by hour range.
    const records = Array.from({ length: 25 }, (_, i) => ({ ts: DAY0 + i * 20 * MINUTE, model: ['a', 'b', 'c'][i % 3]!, inputTokens: i, requestId: `r-${i}` }));
    await h.service.ingestRequests(records);
    await h.service.reportRun({ model: 'a', event: 'start', ts: DAY0 + HOUR });
    await h.service.reportRun({ model: 'a', event: 'stop', ts: DAY0 + 2 * HOUR });

    const { rows, cursors } = allPages(RANGE, 4);
    expect(rows.filter((row) => row.kind === 'request').map((row) => row.requestId)).toEqual(records.map((record) => record.requestId));
    expect(rows.filter((row) => row.kind === 'run').map((row) => [row.model, row.runtimeMs])).toEqual([['a', HOUR]]);
    // 25 requests in pages of 4: six full pages, a seventh with one, then the runs.
    expect(cursors.map((cursor) => cursor?.phase ?? null)).toEqual(['requests', 'requests', 'requests', 'requests', 'requests', 'requests', 'runs', null]);

    const b = h.ledger.ctx.models.find('b')!;
    const onlyB = allPages({ ...RANGE, modelId: b }, 3).rows;
    expect(onlyB.filter((row) => row.kind === 'request').map((row) => row.inputTokens)).toEqual(records.filter((record) => record.model === 'b').map((record) => record.inputTokens));
    expect(onlyB.filter((row) => row.kind === 'run')).toEqual([]);
  });

  it('a full last page is followed by the runs, even with none to give', async () => {
    await h.service.ingestRequests(Array.from({ length: 6 }, (_, i) => ({ ts: DAY0 + i * MINUTE, model: 'a', requestId: `r-${i}` })));
    const { rows, cursors } = allPages(RANGE, 3);
    expect(rows).toHaveLength(6);
    expect(cursors.map((cursor) => cursor?.phase ?? null)).toEqual(['requests', 'requests', 'runs', null]);
  });

  it('goes on after the last request it sent: one recorded meanwhile later in the range comes, an earlier one does not', async () => {
    await h.service.ingestRequests(Array.from({ length: 4 }, (_, i) => ({ ts: DAY0 + (i + 10) * MINUTE, model: 'a', requestId: `r-${i}` })));
    const first = exportRowPage(h.ledger, RANGE, EXPORT_START, 2);
    expect(first.rows.map((row) => row.requestId)).toEqual(['r-0', 'r-1']);
    await h.service.ingestRequests([
      { ts: DAY0 + MINUTE, model: 'a', requestId: 'early' },
      { ts: DAY0 + 20 * MINUTE, model: 'a', requestId: 'late' },
    ]);
    const rest: ExportRow[] = [];
    for (let cursor = first.next; cursor !== null; ) {
      const page = exportRowPage(h.ledger, RANGE, cursor, 2);
      rest.push(...page.rows);
      cursor = page.next;
    }
    expect(rest.map((row) => row.requestId)).toEqual(['r-2', 'r-3', 'late']);
  });

  it('leaves the runs out when a project is asked for, or a model or machine nobody recorded', async () => {
    await h.service.reportRun({ model: 'a', event: 'start', ts: DAY0 + HOUR });
    await h.service.reportRun({ model: 'a', event: 'stop', ts: DAY0 + 2 * HOUR });
    expect(allPages(RANGE, 10).rows.map((row) => row.kind)).toEqual(['run']);
    for (const filter of [{ projectId: 1 }, { modelId: -1 }, { hostId: -1 }]) {
      const { rows, cursors } = allPages({ ...RANGE, ...filter }, 10);
      expect(rows).toEqual([]);
      expect(cursors).toEqual([null]);
    }
  });
});

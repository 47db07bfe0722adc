import { describe, expect, it } from 'vitest';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import type { Harness } from '../ledger/store/harness.js';
import { useSlicedLedgers } from './sliced-ledgers.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 5, 1);
const NOW = DAY0 + 3 * DAY;
const K1 = 'aaaaaaaaaaaaaaaa';
const K2 = 'bbbbbbbbbbbbbbbb';

/** A ledger whose work runs one part per transaction (sliceMs 0), or in the default slices. */
const harness = useSlicedLedgers(NOW);

/** Three days of two models on two channels, projects and hosts, every 7 minutes. */
function records(): RequestRecordInput[] {
  return Array.from({ length: (3 * DAY) / (7 * MINUTE) }, (_, i) => ({
    ts: DAY0 + i * 7 * MINUTE + 1_000,
    model: i % 3 === 0 ? 'claude-sonnet-4' : 'gpt-4o',
    apiType: 'openai',
    channel: i % 2 === 0 ? K1 : K2,
    inputTokens: 1_000 + (i % 97) * 13,
    outputTokens: 100 + (i % 31),
    success: i % 11 !== 0,
    latencyMs: i % 5 === 0 ? undefined : 200 + i,
    ...(i % 4 === 0 ? { project: '/work/alpha' } : {}),
    ...(i % 6 === 0 ? { host: 'laptop' } : {}),
  }));
}

/**
 * Both ledgers hold the records; the first day and a half-hour are kept only as rollups (cleaned up),
 * and minute rollups only for the last two days: every kind of hour a deletion meets.
 */
async function filled(...ledgers: Harness[]): Promise<void> {
  for (const h of ledgers) {
    await h.service.ingestRequests(records());
    await h.service.cleanup({ before: DAY0 + DAY + 30 * MINUTE });
    h.ledger.maintenance.trimMinuteRollups(NOW);
  }
}

/** Counts the ledger's write transactions, checking after each that the stored sums add up. */
function watched(h: Harness): { writes: number; checked: number } {
  const seen = { writes: 0, checked: 0 };
  const write = h.ledger.write.bind(h.ledger);
  h.ledger.write = <T>(work: () => T): T => {
    const result = write(work);
    seen.writes++;
    if (!h.ledger.db.inTransaction) {
      expect(sumsAddUp(h)).toBe(true);
      seen.checked++;
    }
    return result;
  };
  return seen;
}

/** Every grain and set counts the same requests, and the raw rows of the hours still kept count as their rollups. */
function sumsAddUp(h: Harness): boolean {
  const total = (sql: string) => (h.ledger.db.prepare(sql).get() as { n: number | null }).n ?? 0;
  const rawFrom = Math.ceil(h.ledger.ctx.coverage.rawFrom / HOUR) * HOUR;
  const figures = [
    total('SELECT sum(requests) AS n FROM rollup_day'),
    total('SELECT sum(requests) AS n FROM rollup_hour'),
    // A set's totals count what its full-key rows count.
    total('SELECT sum(requests) + (SELECT coalesce(sum(requests), 0) FROM rollup_project_total_day) - (SELECT coalesce(sum(requests), 0) FROM rollup_project_day) AS n FROM rollup_day'),
    total('SELECT sum(requests) + (SELECT coalesce(sum(requests), 0) FROM rollup_host_total_hour) - (SELECT coalesce(sum(requests), 0) FROM rollup_host_hour) AS n FROM rollup_day'),
  ];
  const rawHours = total(`SELECT sum(requests) AS n FROM rollup_hour WHERE bucket >= ${rawFrom}`);
  const rawRows = total(`SELECT count(*) AS n FROM requests WHERE id >= ${rawFrom} * 1024`);
  return figures.every((figure) => figure === figures[0]) && rawHours === rawRows;
}

/** Filled in when the deletion's last step starts: the raw rows, hourly and daily rollup rows of what it deletes. */
function leftAtTheEnd(h: Harness, column: 'model_id' | 'channel_id', ids: number[]): number[] {
  const left: number[] = [];
  const { maintenance, db } = h.ledger;
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table} WHERE ${column} IN (${ids.join(', ')})`).pluck().get() as number;
  const at = (step: (...args: never[]) => unknown) =>
    function (this: unknown, ...args: never[]) {
      left.push(count('requests'), count('rollup_hour'), count('rollup_day'));
      return step.apply(this, args);
    };
  maintenance.deleteModel = at(maintenance.deleteModel.bind(maintenance)) as typeof maintenance.deleteModel;
  maintenance.deleteChannels = at(maintenance.deleteChannels.bind(maintenance)) as typeof maintenance.deleteChannels;
  return left;
}

/** Counts the turns of the event loop while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  const ticking = setInterval(() => turns++, 0);
  try {
    return { result: await work(), turns };
  } finally {
    clearInterval(ticking);
  }
}

describe('deleting a model in slices', () => {
  it('stores exactly what one transaction stores, in many transactions with the event loop running between them', async () => {
    const sliced = harness(0);
    const reference = harness();
    await filled(sliced, reference);
    const expected = records().filter((record) => record.model === 'gpt-4o').length;
    const modelId = reference.ledger.ctx.models.find('gpt-4o')!;
    expect(reference.ledger.write(() => reference.ledger.maintenance.deleteModel(modelId)).requests).toBe(expected);

    const seen = watched(sliced);
    const left = leftAtTheEnd(sliced, 'model_id', [modelId]);
    const { result, turns } = await turnsDuring(() => sliced.service.deleteModel({ model: 'gpt-4o' }));

    // The slices took everything: the last transaction, which is not cut, had nothing left to remove.
    expect(left).toEqual([0, 0, 0]);
    expect(result).toEqual({ model: 'gpt-4o', requests: expected, runs: 0, priceVersions: 0 });
    expect(sliced.dump()).toEqual(reference.dump());
    // A transaction per 5 minutes of raw rows (~47 hours) or rollup-only hour (~25), then one for the rest.
    expect(seen.writes).toBeGreaterThan(47 * 12 + 25);
    expect(seen.checked).toBe(seen.writes);
    expect(turns).toBeGreaterThan(10);
  });

  it('takes the requests written meanwhile too, in hours already cleared and in new ones', async () => {
    const sliced = harness(0);
    const reference = harness();
    await filled(sliced, reference);
    const late: RequestRecordInput[] = [
      { ts: DAY0 + 2 * HOUR + 5 * MINUTE, model: 'gpt-4o', apiType: 'openai', channel: K1, inputTokens: 7, project: '/work/alpha' },
      { ts: NOW - 10 * MINUTE, model: 'gpt-4o', apiType: 'openai', channel: K2, inputTokens: 9, host: 'laptop' },
      { ts: NOW - 9 * MINUTE, model: 'claude-sonnet-4', apiType: 'openai', channel: K2, inputTokens: 11 },
    ];
    await reference.service.ingestRequests(late);
    const modelId = reference.ledger.ctx.models.find('gpt-4o')!;
    const removed = reference.ledger.write(() => reference.ledger.maintenance.deleteModel(modelId));

    const deleting = sliced.service.deleteModel({ model: 'gpt-4o' });
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    await sliced.service.ingestRequests(late);
    expect((await deleting).requests).toBe(removed.requests);
    expect(sliced.dump()).toEqual(reference.dump());
  });

  it('answers a second call for the same model with the same deletion', async () => {
    const h = harness(0);
    await filled(h);
    const [one, two] = await Promise.all([h.service.deleteModel({ model: 'gpt-4o' }), h.service.deleteModel({ model: 'gpt-4o' })]);
    expect(two).toEqual(one);
    expect(one.requests).toBe(records().filter((record) => record.model === 'gpt-4o').length);
  });
});

describe('deleting channels in slices', () => {
  it('stores exactly what one transaction stores, the sums adding up after every slice', async () => {
    const sliced = harness(0);
    const reference = harness();
    await filled(sliced, reference);
    const expected = records().filter((record) => record.channel === K1).length;
    const ids = [reference.ledger.ctx.channels.find(K1, reference.ledger.ctx.apiTypes.find('openai')!)!];
    expect(reference.ledger.write(() => reference.ledger.maintenance.deleteChannels(ids)).requests).toBe(expected);

    const seen = watched(sliced);
    const left = leftAtTheEnd(sliced, 'channel_id', ids);
    const { result, turns } = await turnsDuring(() => sliced.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' }));

    expect(left).toEqual([0, 0, 0]);
    expect(result.requests).toBe(expected);
    expect(sliced.dump()).toEqual(reference.dump());
    expect(seen.writes).toBeGreaterThan(47 * 12 + 25);
    expect(seen.checked).toBe(seen.writes);
    expect(turns).toBeGreaterThan(10);
  });
});

describe('a deletion cut short by a stop', () => {
  it('is finished at the next start, the model and the channels alike, as one transaction would have left them', async () => {
    for (const which of ['model', 'channels'] as const) {
      const sliced = harness(0);
      const reference = harness();
      await filled(sliced, reference);
      const { ledger } = reference;
      if (which === 'model') ledger.write(() => ledger.maintenance.deleteModel(ledger.ctx.models.find('gpt-4o')!));
      else ledger.write(() => ledger.maintenance.deleteChannels([ledger.ctx.channels.find(K1, ledger.ctx.apiTypes.find('openai')!)!]));

      const deleting = which === 'model' ? sliced.service.deleteModel({ model: 'gpt-4o' }) : sliced.service.deleteChannels({ metricsKeys: [K1], apiType: 'openai' });
      const cut = deleting.then(
        () => 'finished',
        () => 'cut',
      );
      for (let turn = 0; turn < 30; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(sliced.ledger.pendingDeletions.list()).toHaveLength(1);
      sliced.reopen();
      expect(await cut).toBe('cut');
      await sliced.service.deletionsIdle();

      expect(sliced.ledger.pendingDeletions.list()).toEqual([]);
      expect(sliced.dump()).toEqual(reference.dump());
    }
  });
});

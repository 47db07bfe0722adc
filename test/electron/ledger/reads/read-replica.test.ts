import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import type { History } from '../../../../shared/types.js';
import type { ReadCall } from '../../../../electron/ledger/reads/protocol.js';
import type { SummaryCore } from '../../../../electron/ledger/reads/protocol.js';
import { answerCall } from '../../../../electron/ledger/reads/read-queries.js';
import { ReadReplica } from '../../../../electron/ledger/reads/read-replica.js';
import { parseIngestBody } from '../../../../electron/ledger/input/ingest-body.js';
import { machineTimeZone, UTC_CALENDAR, zoneCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import { Harness } from '../store/harness.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 5, 3);
const NOW = DAY0 + 5 * DAY + 3 * HOUR + 7 * MINUTE;

// metricsKeys are 16 hex characters (a hash of base URL and key).
const KEY_A = 'aaaaaaaaaaaaaaaa';
const KEY_B = 'bbbbbbbbbbbbbbbb';
const KEY_C = 'cccccccccccccccc';
const KEY_Z = 'dddddddddddddddd';

const req = (ts: number, model: string, extra: Partial<RequestRecordInput> = {}): RequestRecordInput => ({
  ts,
  model,
  inputTokens: 1_000,
  outputTokens: 500,
  latencyMs: 800,
  ...extra,
});

/** Requests every 37 minutes over the five days before NOW, on two models and two channels. */
const SEED: RequestRecordInput[] = Array.from({ length: 5 * 24 * 60 / 37 }, (_, i) => {
  const ts = DAY0 + i * 37 * MINUTE;
  return req(ts, i % 3 === 0 ? 'alpha' : 'beta', i % 2 === 0 ? { channel: KEY_A, apiType: 'openai' } : { channel: KEY_B, apiType: 'anthropic', success: i % 5 !== 0 });
});

/** What the dashboards ask, as the service hands it on once the range is resolved. */
function calls(now: number): ReadCall[] {
  const day = { from: now - DAY, to: now };
  const all = { from: DAY0 - DAY, to: now };
  return [
    { op: 'summary', range: all },
    { op: 'summary', range: day },
    { op: 'history', args: { range: day, interval: 60, groupBy: 'model' } },
    { op: 'history', args: { range: all, interval: 86_400 } },
    { op: 'history', args: { range: all, interval: 3_600, model: 'alpha' } },
    { op: 'history', args: { range: all, interval: 3_600, groupBy: 'model', metricsKey: KEY_B, apiType: 'anthropic' } },
    { op: 'history', args: { range: all, interval: 3_600, groupBy: 'model', model: 'gamma' } },
    { op: 'requests', args: { from: 0, to: now + 1, limit: 40 } },
    { op: 'requests', args: { from: 0, to: now + 1, limit: 40, model: 'beta', metricsKey: KEY_B } },
  ];
}

let h: Harness;
let replica: ReadReplica;

beforeEach(async () => {
  h = new Harness(NOW);
  await h.service.ingestRequests(SEED);
  await h.service.reportRun({ model: 'alpha', event: 'start', ts: NOW - 2 * HOUR });
  replica = ReadReplica.open(h.file);
});
afterEach(() => {
  replica.close();
  h.close();
});

/** Every dashboard call answered by the replica equals the writer's own (inline) answer. */
function expectSameAnswers(): void {
  for (const call of calls(h.now)) expect(replica.answer(call, h.now), `${call.op} ${JSON.stringify(call)}`).toEqual(answerCall(h.ledger, call));
}

const summaryOf = (range = { from: DAY0 - DAY, to: NOW + DAY }) => replica.answer({ op: 'summary', range }, h.now) as SummaryCore;
const modelsIn = (summary: SummaryCore) => summary.models.map((model) => model.model).sort();

describe('a read replica answers what the writer would', () => {
  it('over the same data', () => {
    expect(summaryOf().totals.requests).toBe(SEED.length);
    expectSameAnswers();
  });

  it('after a new model arrives between two answers', async () => {
    expectSameAnswers();
    await h.service.ingestRequests([req(NOW - 5 * MINUTE, 'gamma'), req(NOW - 4 * MINUTE, 'gamma')]);
    expect(modelsIn(summaryOf())).toEqual(['alpha', 'beta', 'gamma']);
    expectSameAnswers();
  });

  it('after a new channel is registered and used', async () => {
    expectSameAnswers();
    await h.service.putCircuits({ metricsKey: KEY_C, apiType: 'gemini', state: 'open', reason: 'test' });
    await h.service.ingestRequests([req(NOW - 5 * MINUTE, 'beta', { channel: KEY_C, apiType: 'gemini' })]);
    const call: ReadCall = { op: 'history', args: { range: { from: NOW - DAY, to: NOW }, interval: 3_600, metricsKey: KEY_C } };
    const history = replica.answer(call, h.now) as History;
    expect(history.buckets.reduce((sum, bucket) => sum + bucket.requests, 0)).toBe(1);
    expect(summaryOf().circuits.open).toBe(1);
    expect(history).toEqual(answerCall(h.ledger, call));
    expectSameAnswers();
  });

  it('after a price version re-prices recorded requests', async () => {
    expect(summaryOf().totals.cost).toEqual({});
    await h.service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 4 }] } });
    expect(summaryOf().totals.cost['USD']).toBeGreaterThan(0);
    expectSameAnswers();
    await h.service.addPriceVersion({
      model: 'alpha',
      version: { method: 'tokens', currency: 'EUR', effectiveFrom: DAY0 + 2 * DAY, tiers: [{ maxPromptTokens: null, input: 2, output: 8 }] },
    });
    expect(Object.keys(summaryOf().totals.cost).sort()).toEqual(['EUR', 'USD']);
    expectSameAnswers();
  });

  it('after a retention cleanup moved where raw rows begin', async () => {
    expectSameAnswers();
    await h.service.cleanup({ before: DAY0 + 3 * DAY });
    expectSameAnswers();
    // The replica read where raw rows now begin, so it no longer counts them from raw rows before it.
    expect(h.ledger.ctx.coverage.rawFrom).toBe(DAY0 + 3 * DAY);
    expect(replica.ledger.ctx.coverage.rawFrom).toBe(DAY0 + 3 * DAY);
  });

  it('after a model is deleted, and another takes its place', async () => {
    expect(modelsIn(summaryOf())).toEqual(['alpha', 'beta']);
    await h.service.reportRun({ model: 'alpha', event: 'stop', ts: NOW - HOUR });
    await h.service.deleteModel({ model: 'beta' });
    expect(modelsIn(summaryOf())).toEqual(['alpha']);
    expectSameAnswers();
    await h.service.ingestRequests([req(NOW - MINUTE, 'delta')]);
    expect(modelsIn(summaryOf())).toEqual(['alpha', 'delta']);
    expectSameAnswers();
  });
});

describe('a read replica reads one committed snapshot', () => {
  const late = () => parseIngestBody([req(NOW - 2 * MINUTE, 'gamma', { channel: KEY_Z, apiType: 'openai' }), req(NOW - MINUTE, 'alpha')], NOW);

  it('never sees a write transaction that has not committed', () => {
    const before = summaryOf();
    let during: SummaryCore | undefined;
    h.ledger.write(() => {
      h.ledger.requests.write(late());
      during = summaryOf();
    });
    expect(during).toEqual(before);
    const after = summaryOf();
    expect(after.totals.requests).toBe(before.totals.requests + 2);
    expect(after).toEqual(answerCall(h.ledger, { op: 'summary', range: { from: DAY0 - DAY, to: NOW + DAY } }));
  });

  it('keeps the snapshot of its first statement while the writer commits in between', () => {
    const range = { from: DAY0 - DAY, to: NOW + DAY };
    const [first, second] = replica.inSnapshot(h.now, () => {
      const a = answerCall(replica.ledger, { op: 'summary', range });
      h.service.writeRecords(late());
      return [a, answerCall(replica.ledger, { op: 'summary', range })];
    });
    expect(second).toEqual(first);
    expect(summaryOf().totals.requests).toBe(first.totals.requests + 2);
    expect(modelsIn(summaryOf())).toEqual(['alpha', 'beta', 'gamma']);
  });
});

describe("a history's JSON, written as it is shaped", () => {
  /** The answer as JSON.stringify writes the object the same replica answers with. */
  const expectStringified = (args: Extract<ReadCall, { op: 'history' }>['args']) => {
    const bytes = replica.historyJson(args, h.now, (size) => Buffer.alloc(size));
    expect(bytes.toString('utf8'), JSON.stringify(args)).toBe(JSON.stringify(replica.answer({ op: 'history', args }, h.now)));
  };

  beforeEach(async () => {
    await h.service.ingestRequests([
      req(NOW - 3 * HOUR, 'alpha', { project: '/home/李/项目 "q"', host: 'gpu-rig' }),
      req(NOW - 2 * HOUR, 'beta', { project: '/srv/b', host: 'laptop' }),
      req(NOW - 90 * MINUTE, '通义千问', { project: '/srv/b' }),
    ]);
    await h.service.addPriceVersion({ model: 'alpha', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 4 }] } });
    await h.service.addPriceVersion({
      model: 'alpha',
      version: { method: 'tokens', currency: 'EUR', effectiveFrom: NOW - DAY, tiers: [{ maxPromptTokens: null, input: 2, output: 8 }] },
    });
  });

  it('is byte for byte what JSON.stringify makes of the answer, for every grouping and filter', () => {
    const day = { from: h.now - DAY, to: h.now };
    const all = { from: DAY0 - DAY, to: h.now };
    for (const call of calls(h.now)) if (call.op === 'history') expectStringified(call.args);
    // Buckets priced in two currencies, by project (names outside ASCII, quotes, none), by host, by
    // channel (two, and none), and none at all.
    expectStringified({ range: all, interval: 86_400, groupBy: 'model' });
    expectStringified({ range: all, interval: 86_400, groupBy: 'channel' });
    expectStringified({ range: day, interval: 3_600, groupBy: 'channel', project: '/srv/b' });
    expectStringified({ range: day, interval: 3_600, groupBy: 'project' });
    expectStringified({ range: day, interval: 3_600, groupBy: 'host' });
    expectStringified({ range: day, interval: 3_600, groupBy: 'model', project: '/srv/b' });
    expectStringified({ range: { from: h.now, to: h.now + HOUR }, interval: 3_600, groupBy: 'model', model: 'nobody' });
  });
});

describe('a read-only ledger', () => {
  it('refuses to write', () => {
    expect(() => replica.ledger.write(() => replica.ledger.ctx.models.ensure('x'))).toThrow(/read-only/);
  });

  it('opens under another calendar without rebuilding the day rollups the writer keeps', () => {
    const other = machineTimeZone() === 'UTC' ? zoneCalendar('Asia/Kolkata') : UTC_CALENDAR;
    const before = h.dump();
    const foreign = ReadReplica.open(h.file, { calendar: other });
    try {
      foreign.answer({ op: 'summary', range: { from: 0, to: NOW } }, NOW);
    } finally {
      foreign.close();
    }
    expect(h.dump()).toEqual(before);
  });

  it('refuses a database the writer has not migrated to this version', () => {
    h.ledger.db.pragma('user_version = 1');
    expect(() => ReadReplica.open(h.file)).toThrow(/schema version/);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIMENSIONS, packKey, RollupDelta, zeroSums } from '../../../../electron/ledger/store/rollups.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { expectSetConsistent, rows } from './dimension-rollups.js';
import { Harness } from './harness.js';

/*
 * RollupDelta keys its maps by small integers when the ids are small (the ingest path's speed) and
 * falls back to exact wider forms when they are not: ids past those bounds must still get rows of
 * their own, never be summed into another key's.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2024, 5, 3);

/** Ids at and around every bound of the packed forms. */
const EDGES = [0, 1, 15, 16, 255, 256, 1023, 1024, 4095, 4096, 65_535, 65_536, 2 ** 20 - 1, 2 ** 20, 2 ** 30 + 1];

describe('packKey', () => {
  it('gives every id tuple a key of its own across the small, wide and string forms', () => {
    const seen = new Map<number | string, string>();
    for (const model of EDGES)
      for (const channel of EDGES)
        for (const apiType of EDGES.slice(0, 8))
          for (const currency of EDGES.slice(0, 8)) {
            const key = packKey(model, channel, apiType, currency);
            const tuple = `${model},${channel},${apiType},${currency}`;
            expect(seen.get(key), `${tuple} shares its key`).toBeUndefined();
            seen.set(key, tuple);
          }
  });

  it('packs small ids into a non-negative integer below 2^30 (a Smi)', () => {
    for (const key of [packKey(4095, 1023, 15, 15), packKey(1, 0, 0, 0), packKey(0, 0, 0, 0)]) {
      expect(Number.isInteger(key) && (key as number) >= 0 && (key as number) < 2 ** 30).toBe(true);
    }
  });
});

/** A set's minute entries as objects. */
function entries(delta: RollupDelta, set: 'plain' | 'project' | 'host') {
  const pool = delta.pool(set);
  return Array.from({ length: pool.size }, (_, slot) => pool.entry(slot));
}

describe('RollupDelta', () => {
  const sums = (requests: number, input: number) => {
    const out = zeroSums();
    out[0] = requests;
    out[2] = input;
    return out;
  };

  it('keeps keys with big ids apart from the small ones they would alias under narrower packing', () => {
    const delta = new RollupDelta();
    const ts = DAY0 + 5 * MINUTE + 123;
    // 4097 & 4095 and (2^20 + 1) & (2^20 - 1) are both 1: a truncating pack would merge all three.
    for (const modelId of [1, 4097, 2 ** 20 + 1]) {
      delta.addRequest(ts, modelId, 0, 0, 0, 7, 0, sums(1, modelId));
      delta.add(ts + 1_000, { modelId, channelId: 0, apiTypeId: 0, currencyId: 0, projectId: 7, hostId: 3 }, sums(1, 1));
      delta.add(ts + 2_000, { modelId, channelId: 0, apiTypeId: 0, currencyId: 0, projectId: 7, hostId: 3 }, sums(1, 1), -1, 'host');
    }
    const summary = (set: 'plain' | 'project' | 'host') =>
      entries(delta, set)
        .map((e) => `${e.minute}/${e.dimensionId}/${e.modelId}: ${e.sums[0]} ${e.sums[2]}`)
        .sort();
    const minute = DAY0 + 5 * MINUTE;
    expect(summary('plain')).toEqual([`${minute}/0/1048577: 2 1048578`, `${minute}/0/1: 2 2`, `${minute}/0/4097: 2 4098`]);
    expect(summary('project')).toEqual([`${minute}/7/1048577: 2 1048578`, `${minute}/7/1: 2 2`, `${minute}/7/4097: 2 4098`]);
    expect(summary('host')).toEqual([`${minute}/3/1048577: 0 0`, `${minute}/3/1: 0 0`, `${minute}/3/4097: 0 0`]);
    expect(delta.size).toBe(9);
  });

  it('starts over after clear(), also in the minute it last added to', () => {
    const delta = new RollupDelta();
    delta.addRequest(DAY0, 1, 0, 0, 0, 0, 0, sums(1, 5));
    delta.clear();
    delta.addRequest(DAY0 + 1, 1, 0, 0, 0, 0, 0, sums(1, 7));
    expect(entries(delta, 'plain').map((e) => e.sums[2])).toEqual([7]);
    expect(delta.size).toBe(1);
  });
});

describe('rollups of models with big ids', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(DAY0 + 2 * HOUR);
  });
  afterEach(() => h.close());

  it('match the raw rows at every grain and in every set', async () => {
    const insert = h.ledger.db.prepare<[number, string]>(`INSERT INTO models (id, name, created_at) VALUES (?, ?, 0)`);
    insert.run(1, 'small');
    insert.run(4097, 'wide');
    insert.run(2 ** 20 + 1, 'huge');
    const models = ['small', 'wide', 'huge'];
    const records: RequestRecordInput[] = Array.from({ length: 60 }, (_, i) => ({
      ts: DAY0 + i * 97_000,
      model: models[i % 3]!,
      inputTokens: 100 + i,
      outputTokens: 1 + (i % 4),
      requestId: `r-${i}`,
      ...(i % 2 === 0 ? { project: '/src/p' } : {}),
      ...(i % 5 === 0 ? { host: 'lab' } : {}),
    }));
    await h.service.ingestRequests(records);
    expect(rows(h.ledger, `SELECT DISTINCT model_id FROM requests`)).toEqual(['{"model_id":1048577}', '{"model_id":1}', '{"model_id":4097}']);
    for (const [grain, width] of [
      ['rollup_minute', MINUTE],
      ['rollup_hour', HOUR],
    ] as const) {
      const fromRaw = rows(
        h.ledger,
        `SELECT ((id >> 10) / ${width}) * ${width} AS bucket, model_id, count(*) AS requests, sum(input_tokens) AS input FROM requests GROUP BY 1, 2`,
      );
      expect(rows(h.ledger, `SELECT bucket, model_id, requests, input_tokens AS input FROM ${grain}`), grain).toEqual(fromRaw);
    }
    for (const dim of DIMENSIONS) expectSetConsistent(h.ledger, dim, dim.name, DAY0);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { UTC_CALENDAR, zoneCalendar, type DayCalendar } from '../../../../electron/ledger/time/day-calendar.js';
import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE } from '../../../../electron/ledger/time/ranges.js';
import type { RequestRecordInput } from '../../../../shared/schemas/request-record.js';
import { prng } from './harness.js';

/**
 * The host list (host-list.ts) names this machine first: its request count, and the times of its
 * first and last request, found from the day and hour rollups before any raw row is read. Whatever
 * the zone's midnight (on the hour, on the half hour, at a quarter to), and wherever this machine's
 * few requests sit among forwarded ones, the answer is what a plain look at the records gives.
 */

const DAY0 = Date.UTC(2024, 2, 4);
const NOW = DAY0 + 12 * DAY;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function ledgerWith(calendar: DayCalendar, records: RequestRecordInput[]): Promise<Ledger> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-hosts-'));
  dirs.push(dir);
  const ledger = Ledger.open(path.join(dir, 'ledger.db'), { now: () => NOW, calendar });
  await new LedgerService(ledger).ingestRequests(records);
  return ledger;
}

/** What this machine's entry must say, from the records themselves. */
function expected(records: RequestRecordInput[]): { requests: number; firstSeen: number | null; lastSeen: number | null } {
  const own = records.filter((record) => record.host === undefined).map((record) => record.ts as number);
  if (own.length === 0) return { requests: 0, firstSeen: null, lastSeen: null };
  return { requests: own.length, firstSeen: Math.min(...own), lastSeen: Math.max(...own) };
}

function local(ledger: Ledger): { requests: number; firstSeen: number | null; lastSeen: number | null } {
  const [first] = ledger.hosts.list();
  expect(first!.name).toBeNull();
  return { requests: first!.requests, firstSeen: first!.firstSeen, lastSeen: first!.lastSeen };
}

/** Forwarded records every ~40 minutes over ten days, from two other machines. */
function forwarded(seed: number): RequestRecordInput[] {
  const next = prng(seed);
  const records: RequestRecordInput[] = [];
  for (let ts = DAY0 + Math.floor(next() * HOUR); ts < DAY0 + 10 * DAY; ts += 20 * MINUTE + Math.floor(next() * 40 * MINUTE)) {
    records.push({ ts, model: next() < 0.5 ? 'gpt' : 'qwen', inputTokens: 10, host: next() < 0.5 ? 'gpu-box' : 'lab' });
  }
  return records;
}

const ZONES: [string, DayCalendar][] = [
  ['UTC', UTC_CALENDAR],
  ['Asia/Kolkata (midnight on the half hour)', zoneCalendar('Asia/Kolkata')],
  ['Asia/Kathmandu (midnight at a quarter to)', zoneCalendar('Asia/Kathmandu')],
];

describe.each(ZONES)('this machine in the host list, days of %s', (_zone, calendar) => {
  it('a ledger of forwarded records only: no request of its own, no first or last seen', async () => {
    const records = forwarded(1);
    const ledger = await ledgerWith(calendar, records);
    expect(local(ledger)).toEqual({ requests: 0, firstSeen: null, lastSeen: null });
    expect(ledger.hosts.list().slice(1).reduce((sum, host) => sum + host.requests, 0)).toBe(records.length);
    ledger.close();
  });

  it('own requests just inside a local day, where that day shares its first or last hour with the next', async () => {
    // A minute after one local midnight and a minute before another, days apart, among forwarded ones.
    const start = calendar.nextDay(calendar.dayStart(DAY0 + 2 * DAY));
    const end = calendar.nextDay(calendar.dayStart(DAY0 + 6 * DAY));
    const own: RequestRecordInput[] = [
      { ts: start + MINUTE, model: 'gpt', inputTokens: 1 },
      { ts: end - MINUTE, model: 'gpt', inputTokens: 1 },
    ];
    const records = [...forwarded(2), ...own];
    const ledger = await ledgerWith(calendar, records);
    expect(local(ledger)).toEqual(expected(records));
    ledger.close();
  });

  it('own requests anywhere among forwarded ones: the count and the first and last times', async () => {
    for (const seed of [3, 4, 5, 6]) {
      const next = prng(seed);
      const own: RequestRecordInput[] = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
        ts: DAY0 + Math.floor(next() * 10 * DAY),
        model: 'local-llm',
        inputTokens: 3,
      }));
      const records = [...forwarded(seed), ...own];
      const ledger = await ledgerWith(calendar, records);
      expect(local(ledger), `seed ${seed}`).toEqual(expected(records));
      ledger.close();
    }
  });
});

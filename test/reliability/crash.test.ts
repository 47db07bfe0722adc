import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runCrash } from '../../bench/crash/harness.js';
import { formatResult } from '../../bench/crash/report.js';
import { ensureBuiltCore, HEADLESS_MAIN } from '../support/built-core.js';

const MAIN = HEADLESS_MAIN;

beforeAll(ensureBuiltCore, 180_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-crash-test-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// Other kill moments on every run; MODELMETER_CRASH_SEED replays a failure.
const seed = Number(process.env['MODELMETER_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

describe('kill -9 of the headless server (a short run of npm run crash)', () => {
  it('keeps every acknowledged record once, closes runs at their last heartbeat, and loses proxy records only inside the buffer window', async () => {
    const result = await runCrash({
      ...DEFAULT_OPTIONS,
      main: MAIN,
      dataDir,
      seed,
      kills: 3,
      proxyKills: 2,
      // Late enough that every phase acknowledges something.
      minKillMs: 150,
      maxKillMs: 1_000,
      // The rest of the suite shares the two cores: more slack over the 250 ms window than the bench's 100 ms.
      proxyMarginMs: 400,
    });
    const report = `seed ${seed} (MODELMETER_CRASH_SEED=${seed} replays it)\n${formatResult(result)}`;
    expect(result.violations, report).toEqual([]);
    expect(result.kills).toBe(5);
    expect(result.ingest.acked, report).toBeGreaterThan(0);
    expect(result.ingest.found, report).toBe(result.ingest.acked);
    expect([result.ingest.lost, result.ingest.doubled, result.ingest.partial, result.ingest.phantom, result.ingest.mismatched]).toEqual([0, 0, 0, 0, 0]);
    expect(result.ingest.unknownStored).toBeLessThanOrEqual(result.ingest.unknown);
    expect(result.runs.runs, report).toBeGreaterThan(0);
    expect(result.programRuns).toBe(7);
    expect(result.database).toMatchObject({ integrity: 'ok', foreignKeyProblems: 0, rollupsMatchRaw: true, cleanExitCodes: [0, 0] });
    expect(result.proxy.completed, report).toBeGreaterThan(0);
    expect([result.proxy.lostOutsideWindow, result.proxy.doubled, result.proxy.phantom]).toEqual([0, 0, 0]);
    expect(result.proxy.recorded + result.proxy.lostInsideWindow).toBe(result.proxy.completed);
  }, 120_000);
});

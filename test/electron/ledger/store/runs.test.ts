import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Housekeeping } from '../../../../electron/app/housekeeping.js';
import type { LedgerEvent } from '../../../../shared/types.js';
import { errorCode, Harness } from './harness.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 6, 1, 8, 0, 0);

let h: Harness;
beforeEach(() => {
  h = new Harness(T0);
});
afterEach(() => h.close());

describe('model runs', () => {
  it('start, heartbeat and stop one run', async () => {
    const started = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'llama-swap' });
    expect(started).toMatchObject({ model: 'qwen', source: 'llama-swap', start: T0, end: null, running: true, lastSeenAt: T0, durationSeconds: 0 });

    h.now = T0 + 30 * SECOND;
    const beat = await h.service.reportRun({ model: 'qwen', event: 'heartbeat', source: 'llama-swap' });
    expect(beat).toMatchObject({ id: started.id, running: true, lastSeenAt: T0 + 30 * SECOND, durationSeconds: 30 });

    h.now = T0 + 5 * MINUTE;
    const stopped = await h.service.reportRun({ model: 'qwen', event: 'stop', source: 'llama-swap', ts: T0 + 4 * MINUTE });
    expect(stopped).toMatchObject({ id: started.id, running: false, end: T0 + 4 * MINUTE, durationSeconds: 240 });

    const listed = await h.service.listRuns({ model: 'qwen' });
    expect(listed).toEqual([stopped]);
  });

  it('returns the same run for a start of an already running (model, source)', async () => {
    const first = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'a', ts: T0 });
    h.now = T0 + MINUTE;
    const again = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'a' });
    expect(again.id).toBe(first.id);
    expect(again.start).toBe(T0);
    expect(again.lastSeenAt).toBe(T0 + MINUTE);
    // Another source, or no source, is another run of the same model.
    const other = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'b' });
    const none = await h.service.reportRun({ model: 'qwen', event: 'start' });
    expect(new Set([first.id, other.id, none.id]).size).toBe(3);
    expect((await h.service.reportRun({ model: 'qwen', event: 'start' })).id).toBe(none.id);
    expect(await h.service.listRuns({ model: 'qwen' })).toHaveLength(3);
    // After a stop, a start begins a new run.
    await h.service.reportRun({ model: 'qwen', event: 'stop', source: 'a' });
    const next = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'a' });
    expect(next.id).not.toBe(first.id);
  });

  it('refuses a stop with no running run as not_found, storing nothing', async () => {
    expect(await errorCode(h.service.reportRun({ model: 'qwen', event: 'stop' }))).toBe('not_found');
    await h.service.reportRun({ model: 'qwen', event: 'start', source: 'a' });
    expect(await errorCode(h.service.reportRun({ model: 'qwen', event: 'stop', source: 'b' }))).toBe('not_found');
    expect(await h.service.listRuns({})).toHaveLength(1);
  });

  it('addresses a run by id: a stop of an ended run is answered again, a heartbeat is a conflict', async () => {
    const run = await h.service.reportRun({ model: 'qwen', event: 'start' });
    await h.service.reportRun({ model: 'qwen', event: 'stop', runId: run.id, ts: T0 + MINUTE });
    const again = await h.service.reportRun({ model: 'qwen', event: 'stop', runId: run.id, ts: T0 + 2 * MINUTE });
    expect(again.end).toBe(T0 + MINUTE);
    expect(await errorCode(h.service.reportRun({ model: 'qwen', event: 'heartbeat', runId: run.id }))).toBe('conflict');
    expect(await errorCode(h.service.reportRun({ model: 'other', event: 'stop', runId: run.id }))).toBe('not_found');
    expect(await errorCode(h.service.reportRun({ model: 'qwen', event: 'stop', runId: run.id + 100 }))).toBe('not_found');
  });

  it('never ends a run before it started', async () => {
    await h.service.reportRun({ model: 'qwen', event: 'start', ts: T0 });
    const stopped = await h.service.reportRun({ model: 'qwen', event: 'stop', ts: T0 - MINUTE });
    expect(stopped.end).toBe(T0);
    expect(stopped.durationSeconds).toBe(0);
  });
});

describe('stale runs', () => {
  it('are closed at their last heartbeat once the reporter is silent past the stale timeout', async () => {
    const events: LedgerEvent[] = [];
    h.service.events.subscribe((event) => events.push(event));
    const housekeeping = new Housekeeping(h.service);
    const run = await h.service.reportRun({ model: 'qwen', event: 'start', source: 'ollama' });
    h.now = T0 + 40 * SECOND;
    await h.service.reportRun({ model: 'qwen', event: 'heartbeat', source: 'ollama' });

    // 120 s (the default) after the last heartbeat it is still open.
    h.now = T0 + 160 * SECOND;
    housekeeping.sweepStale();
    expect((await h.service.listRuns({}))[0]!.running).toBe(true);

    h.now = T0 + 161 * SECOND;
    events.length = 0;
    housekeeping.sweepStale();
    const [closed] = await h.service.listRuns({});
    expect(closed).toMatchObject({ id: run.id, running: false, end: T0 + 40 * SECOND, durationSeconds: 40 });
    expect(events).toEqual([{ type: 'runs', model: 'qwen', run: closed }]);

    // The time nobody vouched for is not counted.
    const summary = await h.service.getSummary({ from: T0 - HOUR, to: T0 + HOUR });
    expect(summary.totals.runtimeSeconds).toBe(40);
    expect(summary.models[0]!.running).toBe(false);
  });

  it('follow the stale timeout setting, and closeStale closes only silent runs', async () => {
    await h.service.updateSettings({ runStaleSeconds: 10 });
    await h.service.reportRun({ model: 'quiet', event: 'start' });
    h.now = T0 + 8 * SECOND;
    await h.service.reportRun({ model: 'chatty', event: 'start' });
    h.now = T0 + 11 * SECOND;
    new Housekeeping(h.service).sweepStale();
    const runs = await h.service.listRuns({});
    expect(Object.fromEntries(runs.map((r) => [r.model, r.running]))).toEqual({ quiet: false, chatty: true });

    h.now = T0 + 30 * SECOND;
    const closed = h.ledger.write(() => h.ledger.runs.closeStale(10 * SECOND));
    expect(closed.map((r) => [r.model, r.end])).toEqual([['chatty', T0 + 8 * SECOND]]);
  });

  it('are judged by when a report was heard, not by its timestamp', async () => {
    // A launcher reporting a start that happened long ago is not stale the moment it is heard.
    await h.service.reportRun({ model: 'qwen', event: 'start', ts: T0 - HOUR });
    h.now = T0 + 60 * SECOND;
    new Housekeeping(h.service).sweepStale();
    expect((await h.service.listRuns({}))[0]!.running).toBe(true);
  });
});

describe('runtime in summaries and history', () => {
  it('is the overlap of runs with the range, a running run counting until now', async () => {
    // Run A: 08:00-09:00; run B: 10:00-still running at 11:30.
    await h.service.reportRun({ model: 'a', event: 'start', ts: T0 });
    await h.service.reportRun({ model: 'a', event: 'stop', ts: T0 + HOUR });
    await h.service.reportRun({ model: 'b', event: 'start', ts: T0 + 2 * HOUR });
    h.now = T0 + 3.5 * HOUR;

    const runtime = async (from: number, to: number) => {
      const s = await h.service.getSummary({ from, to });
      return [s.totals.runtimeSeconds, Object.fromEntries(s.models.map((m) => [m.model, m.runtimeSeconds]))];
    };
    expect(await runtime(T0 - HOUR, T0 + 5 * HOUR)).toEqual([3600 + 5400, { a: 3600, b: 5400 }]);
    expect(await runtime(T0 + 30 * MINUTE, T0 + 2.5 * HOUR)).toEqual([1800 + 1800, { a: 1800, b: 1800 }]);
    // A running model is listed in every summary, with what it ran in the range.
    expect(await runtime(T0 + HOUR, T0 + 2 * HOUR)).toEqual([0, { b: 0 }]);
    expect(await runtime(T0 + 4 * HOUR, T0 + 5 * HOUR)).toEqual([0, { b: 0 }]);

    const s = await h.service.getSummary({ from: T0 + 4 * HOUR, to: T0 + 5 * HOUR });
    expect(s.models).toEqual([expect.objectContaining({ model: 'b', running: true, requests: 0 })]);

    const history = await h.service.getHistory({ from: T0, to: T0 + 4 * HOUR, interval: 3600 });
    expect(history.buckets.map((b) => b.runtimeSeconds)).toEqual([3600, 0, 3600, 1800]);
    const byModel = await h.service.getHistory({ from: T0, to: T0 + 4 * HOUR, interval: 7200, model: 'b' });
    expect(byModel.buckets.map((b) => b.runtimeSeconds)).toEqual([0, 5400]);
  });

  it('lists runs overlapping a range, newest first', async () => {
    await h.service.reportRun({ model: 'a', event: 'start', ts: T0 });
    await h.service.reportRun({ model: 'a', event: 'stop', ts: T0 + HOUR });
    await h.service.reportRun({ model: 'a', event: 'start', ts: T0 + 2 * HOUR });
    h.now = T0 + 3 * HOUR;
    expect((await h.service.listRuns({ from: T0 + 90 * MINUTE })).map((r) => r.start)).toEqual([T0 + 2 * HOUR]);
    expect((await h.service.listRuns({ to: T0 + HOUR })).map((r) => r.start)).toEqual([T0]);
    expect((await h.service.listRuns({})).map((r) => r.start)).toEqual([T0 + 2 * HOUR, T0]);
    expect(await h.service.listRuns({ model: 'never' })).toEqual([]);
  });
});

describe('program runs', () => {
  it('are closed at the last heartbeat after a crash, on the next start', async () => {
    // The first process, driven by hand (its timers would outlive the crash below).
    const programRuns = () => h.ledger.programRuns;
    const id = h.ledger.write(() => programRuns().start());
    h.now = T0 + 15 * SECOND;
    h.ledger.write(() => programRuns().heartbeat(id));
    h.now = T0 + 30 * SECOND;
    h.ledger.write(() => programRuns().heartbeat(id));
    expect(await h.service.listProgramRuns({})).toEqual([{ id: 1, start: T0, end: null, running: true, durationSeconds: 30 }]);

    // The process dies: no stop. Much later the app starts again on the same file.
    h.now = T0 + 10 * MINUTE;
    h.reopen();
    const second = new Housekeeping(h.service, { sweepMs: 3_600_000, heartbeatMs: 3_600_000, retentionMs: 3_600_000 });
    second.start();
    const runs = await h.service.listProgramRuns({});
    expect(runs).toEqual([
      { id: 2, start: T0 + 10 * MINUTE, end: null, running: true, durationSeconds: 0 },
      { id: 1, start: T0, end: T0 + 30 * SECOND, running: false, durationSeconds: 30 },
    ]);

    h.now = T0 + 12 * MINUTE;
    await second.stop();
    expect((await h.service.listProgramRuns({}))[0]).toEqual({ id: 2, start: T0 + 10 * MINUTE, end: T0 + 12 * MINUTE, running: false, durationSeconds: 120 });
  });

  it('close model runs left open by a crash once they are stale, at their last heartbeat', async () => {
    await h.service.reportRun({ model: 'qwen', event: 'start' });
    h.now = T0 + MINUTE;
    await h.service.reportRun({ model: 'qwen', event: 'heartbeat' });
    h.now = T0 + HOUR;
    h.reopen();
    const housekeeping = new Housekeeping(h.service, { sweepMs: 3_600_000, heartbeatMs: 3_600_000, retentionMs: 3_600_000 });
    housekeeping.start();
    expect((await h.service.listRuns({}))[0]).toMatchObject({ running: false, end: T0 + MINUTE });
    await housekeeping.stop();
  });
});

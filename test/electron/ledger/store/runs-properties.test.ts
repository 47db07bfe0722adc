import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Housekeeping } from '../../../../electron/app/housekeeping.js';
import { errorCode, Harness } from './harness.js';

/**
 * Runtime (product.md section 1, "Runs"): random start / heartbeat / stop sequences from several
 * launchers, restarts and stale sweeps, checked against runs kept by the test itself. Fixed seed for
 * `npm test`; FC_SEED / FC_RUNS explore further, and a failure prints its seed and shrunk sequence.
 */
const SEED = Number(process.env['FC_SEED'] ?? 5_004);
const runs = (n: number) => ({ seed: SEED, numRuns: Number(process.env['FC_RUNS'] ?? n) });

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 6, 1, 8, 0, 0);
const STALE_MS = 120 * SECOND; // the default runStaleSeconds
const MODELS = ['qwen', 'meta-llama/Llama-3.1-8B', '模型-ü'];
const SOURCES = [undefined, 'llama-swap', 'ollama'];

type Step =
  | { kind: 'event'; advance: number; model: string; source: string | undefined; event: 'start' | 'heartbeat' | 'stop'; lag: number | null }
  | { kind: 'sweep'; advance: number }
  | { kind: 'restart'; advance: number };

const advance = fc.oneof(fc.integer({ min: 0, max: 5 * SECOND }), fc.integer({ min: 0, max: 3 * MINUTE }), fc.integer({ min: 0, max: 2 * HOUR }));
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: advance.chain((by) =>
      fc.record({
        kind: fc.constant('event' as const),
        advance: fc.constant(by),
        model: fc.constantFrom(...MODELS),
        source: fc.constantFrom(...SOURCES),
        event: fc.constantFrom('start', 'start', 'heartbeat', 'heartbeat', 'stop') as fc.Arbitrary<'start' | 'heartbeat' | 'stop'>,
        // A reporter may say when it happened, up to the time since the previous report (clocks move forward).
        lag: fc.option(fc.integer({ min: 0, max: by }), { nil: null }),
      }),
    ),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const), advance }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), advance }) },
);

interface RefRun {
  model: string;
  source: string | null;
  start: number;
  end: number | null;
  lastSeen: number;
  lastHeard: number;
}

/** What product.md says the runs are after a sequence: kept by hand, no store involved. */
class Reference {
  readonly runs: RefRun[] = [];

  open(model: string, source: string | null): RefRun | undefined {
    return this.runs.find((run) => run.model === model && run.source === source && run.end === null);
  }

  /** Applies an event; false when it must be refused (a stop with nothing running). */
  report(model: string, source: string | null, event: 'start' | 'heartbeat' | 'stop', ts: number, now: number): boolean {
    const open = this.open(model, source);
    if (event === 'stop') {
      if (!open) return false;
      open.end = Math.max(open.start, ts);
      return true;
    }
    if (open) {
      open.lastSeen = Math.max(open.lastSeen, ts);
      open.lastHeard = now;
    } else {
      this.runs.push({ model, source, start: ts, end: null, lastSeen: ts, lastHeard: now });
    }
    return true;
  }

  /** A silent reporter's run ends at the last moment it vouched for. */
  sweep(now: number): void {
    for (const run of this.runs) if (run.end === null && run.lastHeard < now - STALE_MS) run.end = Math.max(run.start, run.lastSeen);
  }

  /** Milliseconds of overlap of each model's runs with [from, to), a running run counting until now. */
  runtime(from: number, to: number, now: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const run of this.runs) {
      const ms = Math.max(0, Math.min(to, now, run.end ?? now) - Math.max(from, run.start));
      if (ms > 0) out.set(run.model, (out.get(run.model) ?? 0) + ms);
    }
    return out;
  }
}

async function play(h: Harness, steps: readonly Step[]): Promise<Reference> {
  const ref = new Reference();
  for (const s of steps) {
    h.now += s.advance;
    if (s.kind === 'sweep') {
      new Housekeeping(h.service).sweepStale();
      ref.sweep(h.now);
      continue;
    }
    if (s.kind === 'restart') {
      // A crash or a quit: the file is opened again and the new core sweeps at start.
      h.reopen();
      new Housekeeping(h.service).sweepStale();
      ref.sweep(h.now);
      continue;
    }
    const ts = s.lag === null ? h.now : h.now - s.lag;
    const input = { model: s.model, event: s.event, ...(s.source === undefined ? {} : { source: s.source }), ...(s.lag === null ? {} : { ts }) };
    if (ref.report(s.model, s.source ?? null, s.event, ts, h.now)) await h.service.reportRun(input);
    else expect(await errorCode(h.service.reportRun(input))).toBe('not_found');
  }
  return ref;
}

const toMs = (seconds: number) => Math.round(seconds * 1000);

/** A window anywhere from before the first event to after now, sometimes cut at random inside it. */
const windows = fc.array(
  fc.tuple(fc.double({ min: -0.1, max: 1.1, noNaN: true }), fc.double({ min: 0, max: 1.2, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
  { minLength: 1, maxLength: 4 },
);

describe('runtime over random run sequences', () => {
  it('lists exactly the runs the events describe, and answers every window with the sum of each run\'s overlap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), windows, async (steps, picks) => {
        const h = new Harness(T0);
        try {
          const ref = await play(h, steps);
          const now = h.now;

          const listed = (await h.service.listRuns({ limit: 10_000 })).sort((a, b) => a.id - b.id);
          expect(listed.map((r) => ({ model: r.model, source: r.source, start: r.start, end: r.end }))).toEqual(
            ref.runs.map((r) => ({ model: r.model, source: r.source, start: r.start, end: r.end })),
          );
          expect(listed.filter((r) => r.running).length).toBe(ref.runs.filter((r) => r.end === null).length);

          const span = now - T0 + 1;
          for (const [a, b, cut] of picks) {
            const from = T0 + Math.floor(a * span);
            const to = from + 1 + Math.floor(b * span);
            const expected = ref.runtime(from, to, now);
            const summary = await h.service.getSummary({ from, to });
            const total = [...expected.values()].reduce((x, y) => x + y, 0);
            expect(toMs(summary.totals.runtimeSeconds), `[${from}, ${to}) now ${now}`).toBe(total);
            for (const model of MODELS) {
              const row = summary.models.find((m) => m.model === model);
              expect(toMs(row?.runtimeSeconds ?? 0), model).toBe(expected.get(model) ?? 0);
              // At most one run per (model, source) at a time: never more than sources x window.
              expect(toMs(row?.runtimeSeconds ?? 0)).toBeLessThanOrEqual(SOURCES.length * (to - from));
              // A running model is listed even with nothing in the window.
              if (ref.runs.some((r) => r.model === model && r.end === null)) expect(row?.running).toBe(true);
            }

            // Adjacent windows add up exactly.
            const middle = from + Math.floor(cut * (to - from));
            if (middle > from && middle < to) {
              const left = await h.service.getSummary({ from, to: middle });
              const right = await h.service.getSummary({ from: middle, to });
              expect(toMs(left.totals.runtimeSeconds) + toMs(right.totals.runtimeSeconds)).toBe(total);
            }

            // History buckets of the window hold the same runtime, per model too.
            const history = await h.service.getHistory({ from, to, interval: 'auto', groupBy: 'model' });
            for (const model of MODELS) {
              const sum = history.buckets.filter((bucket) => bucket.model === model).reduce((ms, bucket) => ms + toMs(bucket.runtimeSeconds), 0);
              expect(sum, `history of ${model}`).toBe(expected.get(model) ?? 0);
            }
          }
        } finally {
          h.close();
        }
      }),
      runs(60),
    );
  }, 60_000);

  it('closes every run whose reporter went silent at its last heartbeat, counting nothing after it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 6 * HOUR }), async (steps, silence) => {
        const h = new Harness(T0);
        try {
          const ref = await play(h, steps);
          const before = ref.runs.map((run) => ({ ...run }));
          // Everyone falls silent; past the stale timeout a sweep (or a restart) closes what is open.
          h.now += STALE_MS + silence;
          if (silence % 2 === 0) h.reopen();
          new Housekeeping(h.service).sweepStale();
          const listed = (await h.service.listRuns({ limit: 10_000 })).sort((a, b) => a.id - b.id);
          expect(listed.every((run) => !run.running)).toBe(true);
          listed.forEach((run, i) => {
            const was = before[i]!;
            expect(run.start).toBe(was.start);
            expect(run.end).toBe(was.end ?? Math.max(was.start, was.lastSeen));
          });
          // The summary of everything counts each run up to its end, nothing of the silence.
          const summary = await h.service.getSummary({ from: T0 - HOUR, to: h.now + HOUR });
          const expected = listed.reduce((ms, run) => ms + Math.max(0, run.end! - run.start), 0);
          expect(toMs(summary.totals.runtimeSeconds)).toBe(expected);
        } finally {
          h.close();
        }
      }),
      runs(40),
    );
  }, 60_000);
});

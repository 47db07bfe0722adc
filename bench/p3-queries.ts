import { LedgerService } from '../electron/app/ledger-service.js';
import { Ledger } from '../electron/ledger/store/ledger.js';
import { HOUR_MS, PROJECTS, Prng } from './dataset.js';
import type { Dataset } from './build-dataset.js';
import { fmtInt, fmtMs, log, percentile, type Figure } from './util.js';

export interface P3Options {
  iterations: number;
  seed: number;
}

interface QueryCase {
  id: string;
  what: string;
  target: number;
  run(service: LedgerService): Promise<unknown>;
  /** A figure of the answer's size, for the notes. */
  size(answer: unknown): string;
}

const CASES: QueryCase[] = [
  {
    id: 'P3a',
    what: 'summary, last 30 days (p95)',
    target: 10,
    run: (service) => service.getSummary({ range: '30d' }),
    size: (answer) => `${(answer as { models: unknown[] }).models.length} model rows`,
  },
  {
    id: 'P3b',
    what: 'history, last 30 days by model, auto interval (p95)',
    target: 25,
    run: (service) => service.getHistory({ range: '30d', groupBy: 'model' }),
    size: (answer) => {
      const history = answer as { interval: number; buckets: unknown[] };
      return `${fmtInt(history.buckets.length)} buckets of ${history.interval / 3600} h`;
    },
  },
  {
    id: 'P3d',
    what: 'summary, last 30 days, one project (p95)',
    target: 10,
    run: (service) => service.getSummary({ range: '30d', project: PROJECTS[0]! }),
    size: (answer) => `${fmtInt((answer as { totals: { requests: number } }).totals.requests)} requests`,
  },
  {
    id: 'P3e',
    what: 'history, last 30 days by project, auto interval (p95)',
    target: 25,
    run: (service) => service.getHistory({ range: '30d', groupBy: 'project' }),
    size: (answer) => {
      const history = answer as { interval: number; buckets: unknown[] };
      return `${fmtInt(history.buckets.length)} buckets of ${history.interval / 3600} h`;
    },
  },
  {
    id: 'P3c',
    what: 'summary, today (p95)',
    target: 5,
    run: (service) => service.getSummary({ range: 'today' }),
    size: (answer) => `${(answer as { models: unknown[] }).models.length} model rows`,
  },
];

/**
 * P3: the dashboard's main reads on the benchmark database (10M requests by default), through
 * LedgerService (validation, range resolution, rollup plan, answer building). Each repetition moves
 * "now" to a different point in the last hours of the data (the dataset's lead-in keeps the 30-day
 * window inside the data), so every query has different edges, both full of records, and nothing is
 * answered from a cache.
 */
export async function runP3(dataset: Dataset, options: P3Options): Promise<Figure[]> {
  let clock = dataset.marker.endTs;
  const spread = dataset.marker.leadHours * HOUR_MS;
  const ledger = Ledger.open(dataset.file, { durability: 'full', now: () => clock });
  const service = new LedgerService(ledger);
  const rng = new Prng(options.seed ^ 0x3333);
  const figures: Figure[] = [];
  try {
    for (const query of CASES) {
      // Warm-up: page cache, prepared statements, JIT.
      for (let i = 0; i < 10; i++) {
        clock = dataset.marker.endTs - rng.int(spread);
        await query.run(service);
      }
      const times: number[] = [];
      let size = '';
      for (let i = 0; i < options.iterations; i++) {
        clock = dataset.marker.endTs - rng.int(spread);
        const started = performance.now();
        const answer = await query.run(service);
        times.push(performance.now() - started);
        if (i === 0) size = query.size(answer);
      }
      const p50 = percentile(times, 50);
      const p95 = percentile(times, 95);
      log(`${query.id}: ${query.what}: p50 ${fmtMs(p50)}, p95 ${fmtMs(p95)}`);
      figures.push({
        id: query.id,
        what: query.what.replace(' (p95)', ' p95 (ms)'),
        value: p95,
        unit: 'ms',
        target: query.target,
        better: 'lower',
        notes: [
          `${options.iterations} runs, "now" varied over the last ${dataset.marker.leadHours} h of the data: p50 ${fmtMs(p50)}, p95 ${fmtMs(p95)}, p99 ${fmtMs(percentile(times, 99))}, max ${fmtMs(Math.max(...times))}; answer: ${size}`,
        ],
      });
    }
  } finally {
    ledger.close();
  }
  return figures;
}

import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from './build-dataset.js';
import { spawnHeadless, stopHeadless, waitHealthy } from './headless.js';
import { fmtMs, log, median, shortCount, type Figure } from './util.js';

/**
 * P6: from spawning the built headless server on the 10M database to its first 200 on GET /healthz
 * (polled every 2 ms), several times; each start is stopped cleanly before the next.
 */
async function startTimes(dataDir: string, starts: number, label: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < starts; i++) {
    const server = await spawnHeadless(dataDir);
    try {
      times.push(await waitHealthy(server, 2));
    } finally {
      await stopHeadless(server);
    }
    log(`P6: ${label} start ${i + 1}: ${fmtMs(times[times.length - 1]!)}`);
  }
  return times;
}

export async function runP6(dataset: Dataset, starts: number, scratchDir: string): Promise<Figure> {
  const times = await startTimes(dataset.dir, starts, `${shortCount(dataset.marker.records)}-row`);
  // The same start on an empty data folder: what Node, the modules and the server cost by themselves.
  const empty = path.join(scratchDir, 'p6-empty');
  fs.rmSync(empty, { recursive: true, force: true });
  fs.mkdirSync(empty, { recursive: true });
  const emptyTimes = await startTimes(empty, 3, 'empty-folder');
  fs.rmSync(empty, { recursive: true, force: true });
  const worst = Math.max(...times);
  return {
    id: 'P6',
    what: `headless start to first /healthz answer, ${shortCount(dataset.marker.records)} rows (ms, max)`,
    value: worst,
    unit: 'ms',
    target: 1_000,
    better: 'lower',
    notes: [
      `${starts} starts: median ${fmtMs(median(times))}, max ${fmtMs(worst)} (${times.map((t) => t.toFixed(0)).join(', ')} ms); page cache warm`,
      `same server on an empty data folder (new database): median ${fmtMs(median(emptyTimes))} (${emptyTimes.map((t) => t.toFixed(0)).join(', ')} ms)`,
    ],
  };
}

import { startOfDay } from 'date-fns';
import BetterSqlite3 from 'better-sqlite3';
import type { Dataset } from './build-dataset.js';
import { DAY_MS } from './dataset.js';
import { get, spawnHeadless, stopHeadless, waitHealthy } from './headless.js';
import { fileSize, fmtBytes, fmtInt, log, processMemory, shortCount, type Figure } from './util.js';

/**
 * P5 (disk): bytes per stored request = (database file + WAL after a TRUNCATE checkpoint) / requests,
 * with the per-table split from the dbstat virtual table.
 */
export function measureDisk(dataset: Dataset): Figure {
  const db = new BetterSqlite3(dataset.file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const fileBytes = fileSize(dataset.file);
    const walBytes = fileSize(`${dataset.file}-wal`);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pageCount = db.pragma('page_count', { simple: true }) as number;
    const freelist = db.pragma('freelist_count', { simple: true }) as number;
    const requests = db.prepare<[], { n: number | null }>(`SELECT sum(requests) AS n FROM rollup_day`).get()?.n ?? 0;
    if (requests !== dataset.marker.records) throw new Error(`P5: rollups count ${requests} requests, the dataset has ${dataset.marker.records}`);
    const perRequest = (fileBytes + walBytes) / requests;
    const notes = [
      `${fmtInt(requests)} requests; file ${fmtBytes(fileBytes)} + WAL ${fmtBytes(walBytes)}; page_count x page_size = ${fmtInt(pageCount)} x ${pageSize} = ${fmtBytes(pageCount * pageSize)} (${fmtInt(freelist)} free pages)`,
    ];
    try {
      const tables = db
        .prepare<[], { name: string; bytes: number; payload: number; cells: number }>(
          `SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload, sum(ncell) AS cells FROM dbstat GROUP BY name ORDER BY bytes DESC`,
        )
        .all();
      const shown = tables.filter((table) => table.bytes >= 64 * 1024);
      const rest = tables.filter((table) => table.bytes < 64 * 1024);
      notes.push(
        `per table/index (dbstat): ${shown
          .map((table) => `${table.name} ${fmtBytes(table.bytes)} = ${(table.bytes / requests).toFixed(1)} B/request`)
          .join('; ')}; ${rest.length} small ones ${fmtBytes(rest.reduce((sum, table) => sum + table.bytes, 0))}`,
      );
      const raw = tables.find((table) => table.name === 'requests');
      if (raw) notes.push(`requests table: ${(raw.payload / raw.cells).toFixed(1)} payload bytes per leaf/interior cell on average, ${(raw.bytes / requests).toFixed(1)} bytes per request on pages`);
    } catch (error) {
      notes.push(`dbstat not available: ${(error as Error).message}`);
    }
    log(`P5: ${perRequest.toFixed(1)} bytes per request`);
    return {
      id: 'P5a',
      what: 'disk per stored request, indexes and rollups included (bytes)',
      value: perRequest,
      unit: 'bytes',
      target: 64,
      better: 'lower',
      notes,
    };
  } finally {
    db.close();
  }
}

/** How long the server is left idle after the reads before its settled footprint is taken. */
const SETTLE_MS = 90_000;
const SAMPLE_MS = 2_000;

/**
 * P5 (memory): the headless server on the benchmark database, after the dashboard's reads a few times:
 * VmRSS (and the peak, VmHWM) from /proc, twice. P5b is taken at once, while the heaps are as the
 * reads grew them; P5c after SETTLE_MS without a call, once V8's memory reducer has had its turn in
 * each thread (it shrinks a heap only after some seconds of low allocation), which is what a tray
 * app between dashboard visits holds.
 */
export async function measureRss(dataset: Dataset, rounds = 5): Promise<Figure[]> {
  const server = await spawnHeadless(dataset.dir);
  try {
    await waitHealthy(server, 5);
    const end = dataset.marker.endTs;
    const paths = [
      `/api/v1/summary?from=${end - 30 * DAY_MS}&to=${end}`,
      `/api/v1/history?from=${end - 30 * DAY_MS}&to=${end}&groupBy=model`,
      `/api/v1/history?from=${end - 7 * DAY_MS}&to=${end}`,
      `/api/v1/summary?from=${startOfDay(end).getTime()}&to=${end}`,
      `/api/v1/requests?limit=200&to=${end}`,
      `/api/v1/pricing`,
    ];
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        const reply = await get(server.port, path);
        if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
      }
    }
    const memory = readMemory(server.child.pid!);
    log(`P5: headless RSS ${fmtBytes(memory.rss)} (peak ${fmtBytes(memory.hwm)}); leaving it idle for ${SETTLE_MS / 1000} s`);
    const readsDone = performance.now();
    let settled = memory;
    let lastDropAt: number | null = null;
    while (performance.now() - readsDone < SETTLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const now = readMemory(server.child.pid!);
      if (now.rss < settled.rss - 1024 ** 2) lastDropAt = performance.now() - readsDone;
      settled = now;
    }
    log(`P5: settled RSS ${fmtBytes(settled.rss)}`);
    const reads = `${rounds} rounds of ${paths.length} reads (summary 30d/today, history 30d by model and 7d, request log page, pricing)`;
    const rows = `${shortCount(dataset.marker.records)}-row database`;
    const fell = lastDropAt === null ? 'it never fell' : `last fell ${(lastDropAt / 1000).toFixed(0)} s after them`;
    return [
      rssFigure('P5b', `headless server RSS with the ${rows}, just after the reads (MiB)`, memory.rss, `VmRSS ${fmtBytes(memory.rss)}, VmHWM (peak) ${fmtBytes(memory.hwm)}, after ${reads}`),
      rssFigure(
        'P5c',
        `headless server RSS with the ${rows}, settled: ${SETTLE_MS / 1000} s idle after the reads (MiB)`,
        settled.rss,
        `VmRSS ${fmtBytes(settled.rss)} ${SETTLE_MS / 1000} s after the reads (sampled every ${SAMPLE_MS / 1000} s; ${fell}); just after them ${fmtBytes(memory.rss)}`,
      ),
    ];
  } finally {
    await stopHeadless(server);
  }
}

/** An RSS figure in MiB against P5's 200 MB target. */
function rssFigure(id: string, what: string, bytes: number, note: string): Figure {
  return { id, what, value: bytes / 1024 ** 2, unit: 'MiB', target: 200, better: 'lower', notes: [note] };
}

function readMemory(pid: number): { rss: number; hwm: number } {
  const memory = processMemory(pid);
  if (!memory) throw new Error('cannot read /proc/<pid>/status');
  return memory;
}

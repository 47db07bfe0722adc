import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDataset, type Dataset } from './build-dataset.js';
import { runP1 } from './p1-ingest.js';
import { runP2 } from './p2-http.js';
import { runP3 } from './p3-queries.js';
import { runLoad } from './load/run-load.js';
import { runP4 } from './p4-proxy.js';
import { runSweep } from './api-sweep.js';
import { runUi } from './ui/dashboard.js';
import { measureDisk, measureRss } from './p5-footprint.js';
import { runFirstDashboard } from './p6-first-dashboard.js';
import { runP6 } from './p6-startup.js';
import { fmtInt, log, machineBusySeconds, met, ownTreeCpuSeconds, ratioMet, ratioValue, REPO_ROOT, type Figure, type Ratio } from './util.js';

const USAGE = `Usage: node dist/bench/run.js [p1] [p2] [p3] [p4] [p5] [p6] [load] [sweep] [ui] [options]
  With no ids, runs p1-p6; "load" (a sustained mixed workload), "sweep" (every read of the API,
  once and again, at the dataset's size) and "ui" (the dashboard in Chromium: views opened, and what
  a shown or hidden window costs under live traffic; needs the renderer built) run only when named. Each figure is
  printed first beside its limit measured in the same run (a ratio with its target), then absolute.
  p2 runs p1 too: its limit is p1's raw insert.
  --quick            smaller sizes everywhere (1M-request dataset): a smoke run, not the targets' setup
  --data-dir DIR     where the dataset and results.json live (default .bench-data/, or MODELMETER_BENCH_DIR)
  --records N        dataset size (default 10,000,000)
  --rebuild          rebuild the dataset even if a complete one is there
  --seed N           PRNG seed (default 42)
  --seconds N        how long "load" runs, warm-up not included (default 60, 20 with --quick)`;

const ALL = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'] as const;
/** Run only when named: they take long and are not product-definition targets. */
const OPT_IN = ['load', 'sweep', 'ui'] as const;
type Id = (typeof ALL)[number] | (typeof OPT_IN)[number];

interface Sizes {
  datasetRecords: number;
  p1Records: number;
  p1Trials: number;
  p2Batches: number;
  p2SinglePosts: number;
  p3Iterations: number;
  p4Requests: number;
  p4Rounds: number;
  p4Streams: number;
  p6Starts: number;
  /** Starts of P6b, each with a first look and warm bursts (~35 s apiece). */
  p6FirstLooks: number;
  loadSeconds: number;
  sweepRepeats: number;
  uiRepeats: number;
  uiPhaseSeconds: number;
}

const FULL: Sizes = { datasetRecords: 10_000_000, p1Records: 1_000_000, p1Trials: 3, p2Batches: 300, p2SinglePosts: 30_000, p3Iterations: 200, p4Requests: 20_000, p4Rounds: 3, p4Streams: 200, p6Starts: 5, p6FirstLooks: 2, loadSeconds: 60, sweepRepeats: 12, uiRepeats: 5, uiPhaseSeconds: 15 };
const QUICK: Sizes = { datasetRecords: 1_000_000, p1Records: 200_000, p1Trials: 3, p2Batches: 60, p2SinglePosts: 6_000, p3Iterations: 50, p4Requests: 4_000, p4Rounds: 2, p4Streams: 40, p6Starts: 3, p6FirstLooks: 1, loadSeconds: 20, sweepRepeats: 5, uiRepeats: 3, uiPhaseSeconds: 8 };

function copyForHeadless(dataset: Dataset, dir: string): Dataset {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, path.basename(dataset.file));
  fs.copyFileSync(dataset.file, file);
  if (fs.existsSync(`${dataset.file}-wal`)) fs.copyFileSync(`${dataset.file}-wal`, `${file}-wal`);
  return { ...dataset, dir, file };
}

function formatValue(figure: Figure): string {
  if (figure.value === null) return 'not measured';
  const v = figure.value;
  switch (figure.unit) {
    case 'ms':
      return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
    case 'bytes':
      return `${v.toFixed(1)} B`;
    case 'MiB':
      return `${v.toFixed(1)} MiB`;
    case '%':
      return `${v.toFixed(1)} %`;
    default:
      return `${fmtInt(v)} ${figure.unit}`;
  }
}

function formatTarget(figure: Figure): string {
  if (figure.target === null) return '-';
  const op = figure.better === 'higher' ? '>=' : '<=';
  return `${op} ${formatValue({ ...figure, value: figure.target })}`;
}

function markdownTable(header: readonly string[], rows: readonly string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function table(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const ok = met(figure);
    return [figure.id, figure.what, formatValue(figure), formatTarget(figure), ok === null ? '-' : ok ? 'yes' : 'NO'];
  });
  return markdownTable(['id', 'what', 'measured', 'target', 'met'], rows, new Set([2, 3]));
}

function formatRatioValue(ratio: Ratio, value: number | null): string {
  if (value === null) return 'not measured';
  if (ratio.kind === 'ratio') return `${value.toFixed(2)}x`;
  return `${value >= 0 ? '+' : ''}${formatValue({ id: '', what: '', value, unit: ratio.unit, target: null, better: ratio.better })}`;
}

/** Issue 18: each figure beside its limit measured in the same run, as a ratio (or a difference) with its target. */
function ratioTable(ratios: readonly Ratio[]): string {
  const withUnit = (ratio: Ratio, value: number | null) => formatValue({ id: '', what: '', value, unit: ratio.unit, target: null, better: ratio.better });
  const rows = ratios.map((ratio) => {
    const ok = ratioMet(ratio);
    const target = `${ratio.better === 'higher' ? '>=' : '<='} ${formatRatioValue(ratio, ratio.target)}${ratio.targetNote ? ` (${ratio.targetNote})` : ''}`;
    return [ratio.id, ratio.what, withUnit(ratio, ratio.figure), ratio.limitWhat, withUnit(ratio, ratio.limit), formatRatioValue(ratio, ratioValue(ratio)), target, ok === null ? '-' : ok ? 'yes' : 'NO'];
  });
  return markdownTable(['id', 'figure', 'measured', 'limit (same run)', 'limit measured', 'ratio', 'target', 'met'], rows, new Set([2, 4, 5]));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      'data-dir': { type: 'string' },
      records: { type: 'string' },
      rebuild: { type: 'boolean' },
      seed: { type: 'string' },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const selected = new Set<Id>();
  for (const word of positionals) {
    const id = word.toLowerCase();
    if (![...ALL, ...OPT_IN].includes(id as Id)) throw new Error(`unknown benchmark "${word}"\n${USAGE}`);
    selected.add(id as Id);
  }
  if (selected.size === 0) for (const id of ALL) selected.add(id);
  const sizes = { ...(values.quick ? QUICK : FULL) };
  if (values.records !== undefined) sizes.datasetRecords = Number(values.records);
  if (!Number.isInteger(sizes.datasetRecords) || sizes.datasetRecords < 1000) throw new Error('--records must be a whole number >= 1000');
  if (values.seconds !== undefined) sizes.loadSeconds = Number(values.seconds);
  if (!Number.isInteger(sizes.loadSeconds) || sizes.loadSeconds < 5) throw new Error('--seconds must be a whole number >= 5');
  const seed = values.seed === undefined ? 42 : Number(values.seed);
  const benchDir = path.resolve(values['data-dir'] ?? process.env['MODELMETER_BENCH_DIR'] ?? path.join(REPO_ROOT, '.bench-data'));
  fs.mkdirSync(benchDir, { recursive: true });

  log(`ModelMeter benchmarks: ${[...selected].join(' ')}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), Node ${process.version}, data in ${benchDir}`);
  if (values.quick) log('quick mode: reduced sizes, figures are indicative only');
  const machineBefore = machineBusySeconds();
  const ownBefore = ownTreeCpuSeconds();
  const started = performance.now();
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const add = (measured: { figures: Figure[]; ratios: Ratio[] }) => {
    figures.push(...measured.figures);
    ratios.push(...measured.ratios);
  };

  // P2's limit is P1's raw insert: P1 runs whenever P2 does.
  let rawRate: number | null = null;
  if (selected.has('p1') || selected.has('p2')) {
    const p1 = await runP1({ benchDir, records: sizes.p1Records, batch: 5_000, trials: sizes.p1Trials, seed });
    rawRate = p1.rawRate;
    add(p1);
  }
  if (selected.has('p2')) {
    add(await runP2({ benchDir, seed, batchRecords: 1_000, batches: sizes.p2Batches, batchClients: 4, singlePosts: sizes.p2SinglePosts, singleClients: 64, rawRate }));
  }
  if (selected.has('p4')) {
    add(
      await runP4({
        benchDir,
        requests: sizes.p4Requests,
        upstreamDelayMs: 20,
        rounds: sizes.p4Rounds,
        concurrency: 64,
        streams: sizes.p4Streams,
        streamChunks: 20,
        streamGapMs: 10,
      }),
    );
  }

  let dataset: Dataset | null = null;
  if (selected.has('p3') || selected.has('p5') || selected.has('p6') || selected.has('load') || selected.has('sweep') || selected.has('ui')) {
    dataset = await ensureDataset(benchDir, { records: sizes.datasetRecords, days: 30, leadHours: 6, seed }, { rebuild: values.rebuild ?? false });
  }
  if (dataset && selected.has('p5')) figures.push(measureDisk(dataset));
  if (dataset && (selected.has('p3') || selected.has('p5') || selected.has('p6') || selected.has('sweep') || selected.has('ui'))) {
    // The headless server runs housekeeping against the real clock (program runs, minute-rollup
    // trimming, retention): it gets a copy, so the stored dataset stays as built for the next run.
    const copy = copyForHeadless(dataset, path.join(benchDir, 'tmp', 'headless'));
    try {
      if (selected.has('p3')) add(await runP3(copy, { iterations: sizes.p3Iterations, seed }));
      if (selected.has('p5')) figures.push(...(await measureRss(copy)));
      if (selected.has('p6')) add(await runP6(copy, sizes.p6Starts, path.join(benchDir, 'tmp')));
      if (selected.has('p6')) add(await runFirstDashboard(copy, sizes.p6FirstLooks));
      if (selected.has('sweep')) figures.push(await runSweep(copy, sizes.sweepRepeats));
      // Last on the copy: its live traffic adds a few hundred requests to it.
      if (selected.has('ui')) figures.push(...(await runUi(copy, { repeats: sizes.uiRepeats, phaseSeconds: sizes.uiPhaseSeconds })));
    } finally {
      fs.rmSync(copy.dir, { recursive: true, force: true });
    }
  }
  // Last: it writes for a minute to a copy of the dataset, and its noise should not reach the others.
  if (dataset && selected.has('load')) figures.push(...(await runLoad({ benchDir, dataset, seconds: sizes.loadSeconds, seed })));
  figures.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  ratios.sort((a, b) => (a.id.slice(0, 2) < b.id.slice(0, 2) ? -1 : a.id.slice(0, 2) > b.id.slice(0, 2) ? 1 : 0));
  const machineAfter = machineBusySeconds();
  const ownAfter = ownTreeCpuSeconds();

  const seconds = (performance.now() - started) / 1000;
  // CPU the machine spent on other work while this ran: a noisy neighbour makes every figure worse.
  const otherCpu =
    machineBefore === null || machineAfter === null || ownBefore === null || ownAfter === null
      ? null
      : Math.max(0, machineAfter - machineBefore - (ownAfter - ownBefore));
  const out: string[] = [];
  out.push('');
  out.push(
    `ModelMeter benchmark results (${new Date().toISOString()}, ${os.cpus().length} cores, Node ${process.version}${values.quick ? ', QUICK mode: reduced sizes' : ''})`,
  );
  if (dataset) {
    const m = dataset.marker;
    out.push(
      `dataset: ${fmtInt(m.records)} requests over ${m.days} days (+${m.leadHours} h lead-in), ${dataset.catalogue.models.length} models, ${dataset.catalogue.channels.length} channels, ${m.priceVersions} price versions, ${m.runs} runs (${dataset.reused ? 'reused' : `built in ${m.buildSeconds.toFixed(0)} s`}; ${dataset.file})`,
    );
  }
  out.push('');
  if (ratios.length > 0) {
    out.push('Each figure beside its limit, measured in this run (issue 18):');
    out.push(ratioTable(ratios));
    out.push('');
    out.push('Absolute figures (machines differ 2-3x; targets as on the developers\' machine):');
  }
  out.push(table(figures));
  out.push('');
  for (const figure of figures) for (const note of figure.notes ?? []) out.push(`${figure.id}: ${note}`);
  out.push('');
  if (selected.has('p2')) out.push(`P2 note: the fetch client runs in its own process, but it and the server share this machine's ${os.cpus().length} cores, so P2 understates what a server with the machine to itself would take.`);
  if (otherCpu !== null) {
    const share = otherCpu / seconds;
    out.push(
      `other processes used ${otherCpu.toFixed(1)} CPU s during the ${seconds.toFixed(0)} s run (${(100 * share).toFixed(0)}% of one core)${share > 0.1 ? ': the machine was not quiet, figures may be pessimistic' : ''}`,
    );
  }
  out.push(`total time ${seconds.toFixed(0)} s`);
  process.stdout.write(`${out.join('\n')}\n`);

  fs.rmSync(path.join(benchDir, 'tmp'), { recursive: true, force: true });
  const resultsFile = path.join(benchDir, 'results.json');
  const results = {
    at: new Date().toISOString(),
    quick: values.quick ?? false,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, node: process.version, platform: process.platform },
    dataset: dataset ? { ...dataset.marker, file: dataset.file, reused: dataset.reused } : null,
    seconds,
    otherProcessesCpuSeconds: otherCpu,
    ratios: ratios.map((ratio) => ({ ...ratio, value: ratioValue(ratio), met: ratioMet(ratio) })),
    figures: figures.map((figure) => ({ ...figure, met: met(figure) })),
  };
  fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${resultsFile}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

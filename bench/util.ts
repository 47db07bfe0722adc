import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The server the benchmarks start; MODELMETER_BENCH_HEADLESS names another build's (an A/B with older code). */
export const HEADLESS_MAIN = process.env['MODELMETER_BENCH_HEADLESS'] ?? path.join(REPO_ROOT, 'dist', 'electron', 'hosts', 'headless', 'main.js');

/** One measured figure against its product target (section 4 of the product definition). */
export interface Figure {
  id: string;
  what: string;
  value: number | null;
  unit: string;
  target: number | null;
  /** How the value must compare with the target to meet it. */
  better: 'higher' | 'lower';
  /** Extra measured context printed under the table. */
  notes?: string[];
}

/**
 * A figure beside its limit measured in the same run (issue 18): machines differ by 2-3x in absolute
 * speed, so what must hold on any machine is how close the product gets to what the hardware and the
 * HTTP stack allow there. `kind` says how the two compare: 'ratio' = figure / limit, 'difference' =
 * figure - limit (in `unit`).
 */
export interface Ratio {
  id: string;
  what: string;
  /** The product's figure and what the limit is (each with its unit). */
  figure: number | null;
  limit: number | null;
  limitWhat: string;
  unit: string;
  kind: 'ratio' | 'difference';
  target: number;
  better: 'higher' | 'lower';
  /** The target's source, when it is not the (said in the table). */
  targetNote?: string;
}

export function ratioValue(ratio: Ratio): number | null {
  if (ratio.figure === null || ratio.limit === null || !Number.isFinite(ratio.figure) || !Number.isFinite(ratio.limit)) return null;
  if (ratio.kind === 'difference') return ratio.figure - ratio.limit;
  return ratio.limit === 0 ? null : ratio.figure / ratio.limit;
}

export function ratioMet(ratio: Ratio): boolean | null {
  const value = ratioValue(ratio);
  if (value === null) return null;
  return ratio.better === 'higher' ? value >= ratio.target : value <= ratio.target;
}

/** What a benchmark returns: its absolute figures and the ratios to limits it measured alongside. */
export interface Measured {
  figures: Figure[];
  ratios: Ratio[];
}

export function met(figure: Figure): boolean | null {
  if (figure.value === null || figure.target === null) return null;
  return figure.better === 'higher' ? figure.value >= figure.target : figure.value <= figure.target;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The least-squares slope of `values` against their index (per sample), or NaN for fewer than two. */
export function trendPerSample(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / n;
  let covariance = 0;
  let variance = 0;
  values.forEach((value, x) => {
    covariance += (x - meanX) * (value - meanY);
    variance += (x - meanX) ** 2;
  });
  return covariance / variance;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function fmtInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** 10000000 -> "10M", 250000 -> "250k". */
export function shortCount(value: number): string {
  if (value >= 1e6) return `${Number((value / 1e6).toFixed(2))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toFixed(1))}k`;
  return String(value);
}

export function fmtMs(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
}

/** A port that was free a moment ago (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return null;
  }
}

/** A live process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  parent: number;
  command: string;
  /** User + system CPU seconds so far. */
  cpuSeconds: number;
}

/** Every live process, read once from /proc; empty where there is no /proc. */
export function processTable(): ProcessEntry[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const table: ProcessEntry[] = [];
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({ pid: Number(entry), parent: Number(fields[1]), command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/**
 * CPU seconds a process and all its live descendants have used so far (a browser and its renderer,
 * GPU and network processes), from one reading of the process table.
 */
export function processTreeCpuSeconds(rootPid: number, table: readonly ProcessEntry[] = processTable()): number {
  let total = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    for (const entry of table) {
      if (entry.pid === pid) total += entry.cpuSeconds;
      else if (entry.parent === pid) queue.push(entry.pid);
    }
  }
  return total;
}

/** A thread's scheduler counters (Linux's /proc/<pid>/task/<tid>/schedstat). */
export interface Schedstat {
  /** Time on a core. */
  runNs: number;
  /** Time runnable but waiting for a core. */
  waitNs: number;
  /** How many times it was given a core. */
  slices: number;
}

/** The scheduler counters of a process's main thread (the thread whose id is the process id); null where there are none. */
export function mainThreadSchedstat(pid: number): Schedstat | null {
  try {
    const [run, wait, slices] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { runNs: Number(run), waitNs: Number(wait), slices: Number(slices) };
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM of a process in bytes, from /proc/<pid>/status. */
export function processMemory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat; null where there is none. */
export function machineBusySeconds(): number | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds of this process and its finished children (utime + stime + cutime + cstime). */
export function ownTreeCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

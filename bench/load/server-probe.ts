import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { RunningCore } from '../../electron/hosts/core/start-core.js';
import { mainThreadSchedstat, type Schedstat } from '../util.js';

/**
 * Measurements taken inside the core's own process for the load benchmark: the event-loop delay
 * histogram (perf_hooks.monitorEventLoopDelay), every stall over a threshold with the moment it ended,
 * and the synchronous time of every service call and every write transaction, so that a stall can
 * be named. Nothing runs until the parent asks (`probe-start`), so the other benchmarks that fork the
 * same core server are measured as before.
 */

/** Sampling period of the histogram and of the stall detector. */
export const PROBE_RESOLUTION_MS = 10;

export type ProbeRequest = { type: 'probe-start'; stallMs: number; slowMs: number } | { type: 'probe-reset' } | { type: 'probe-read' };

export interface Stall {
  /** performance.timeOrigin + performance.now() when the loop got its turn back (epoch ms). */
  endedAt: number;
  /** How much later than due the detector's timer ran. */
  ms: number;
}

/**
 * A late tick of the detector, split by the main thread's scheduler counters (Linux's
 * /proc/self/task/<pid>/schedstat) over the interval it covers: time on a core (a long task, GC) and
 * time runnable but waiting for one (other threads and processes had the cores).
 */
export interface LateTick {
  ms: number;
  ranMs: number;
  waitedMs: number;
  endedAt: number;
}

/** Late ticks kept, the longest. */
const LATE_TICKS_KEPT = 8;
/** A tick this much later than due is split into running and waiting. */
const LATE_TICK_MS = 10;

export interface SlowOperation {
  /** A service method (`service.getHistory`) or `write` for a whole write transaction, commit included. */
  name: string;
  ms: number;
  endedAt: number;
  /** What the operation was called with, cut short (queries only). */
  detail: string;
}

export interface ProbeReport {
  type: 'probe-report';
  /** Delay beyond the sampling period, in ms (the histogram itself holds whole tick intervals). */
  eld: { count: number; min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  stalls: Stall[];
  /** The main thread's time on a core and waiting for one since the last reset (null without schedstat). */
  mainThread: { ranMs: number; waitedMs: number; slices: number } | null;
  /** The longest late ticks, with the main thread's running and waiting time (empty where /proc has no schedstat). */
  lateTicks: LateTick[];
  /** Synchronous sections over `slowMs`, longest first (at most 50). */
  slow: SlowOperation[];
  /** Synchronous time per operation name: calls, total and longest. */
  operations: Record<string, { calls: number; totalMs: number; maxMs: number }>;
  rssBytes: number;
  heapUsedBytes: number;
}

const wallClock = () => performance.timeOrigin + performance.now();

export function isProbeRequest(message: unknown): message is ProbeRequest {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('probe-');
}

export class ServerProbe {
  private histogram: IntervalHistogram | null = null;
  private detector: NodeJS.Timeout | null = null;
  private stalls: Stall[] = [];
  private lateTicks: LateTick[] = [];
  private schedAtReset: Schedstat | null = null;
  private slow: SlowOperation[] = [];
  private operations = new Map<string, { calls: number; totalMs: number; maxMs: number }>();
  private stallMs = 50;
  private slowMs = 20;
  private wrapped = false;

  constructor(private readonly core: RunningCore) {}

  handle(request: ProbeRequest): ProbeReport | null {
    switch (request.type) {
      case 'probe-start':
        this.stallMs = request.stallMs;
        this.slowMs = request.slowMs;
        this.start();
        return null;
      case 'probe-reset':
        this.histogram?.reset();
        this.stalls = [];
        this.lateTicks = [];
        this.schedAtReset = mainThreadSchedstat(process.pid);
        this.slow = [];
        this.operations.clear();
        return null;
      case 'probe-read':
        return this.report();
    }
  }

  private start(): void {
    if (this.histogram) return;
    this.histogram = monitorEventLoopDelay({ resolution: PROBE_RESOLUTION_MS });
    this.histogram.enable();
    // The histogram says how long the worst gap was, not when: this timer keeps the moments, which
    // line up with the slow operations below.
    let last = performance.now();
    let lastSched = mainThreadSchedstat(process.pid);
    this.detector = setInterval(() => {
      const now = performance.now();
      const late = now - last - PROBE_RESOLUTION_MS;
      last = now;
      const sched = mainThreadSchedstat(process.pid);
      if (late > this.stallMs) this.stalls.push({ endedAt: wallClock(), ms: late });
      if (late > LATE_TICK_MS && sched && lastSched) {
        this.keepLateTick({ ms: late, ranMs: (sched.runNs - lastSched.runNs) / 1e6, waitedMs: (sched.waitNs - lastSched.waitNs) / 1e6, endedAt: wallClock() });
      }
      lastSched = sched;
    }, PROBE_RESOLUTION_MS);
    this.detector.unref();
    this.wrap();
  }

  /**
   * Times the synchronous part of every service call (an async method runs synchronously up to its
   * first await, which for the ledger's reads is the whole query) and every outermost write
   * transaction, which is where group commits, buffered proxy records and WAL checkpoints land.
   */
  private wrap(): void {
    if (this.wrapped) return;
    this.wrapped = true;
    const service = this.core.service as unknown as Record<string, unknown>;
    const prototype = Object.getPrototypeOf(service) as Record<string, unknown>;
    // A method replaced on the instance is timed as replaced.
    for (const name of Object.getOwnPropertyNames(prototype)) {
      // Accessors (the service's clock) are left alone: reading one here would run it on the prototype.
      const own = Object.prototype.hasOwnProperty.call(service, name);
      const original = (own ? service[name] : Object.getOwnPropertyDescriptor(prototype, name)?.value) as unknown;
      if (name === 'constructor' || typeof original !== 'function') continue;
      const method = original as (...args: unknown[]) => unknown;
      service[name] = (...args: unknown[]) => {
        const started = performance.now();
        try {
          return method.apply(service, args);
        } finally {
          this.note(`service.${name}`, performance.now() - started, args);
        }
      };
    }
    const ctx = this.core.service.ledger.ctx as unknown as { write: <T>(work: () => T) => T };
    const write = ctx.write.bind(ctx);
    let depth = 0;
    ctx.write = <T>(work: () => T): T => {
      if (depth > 0) return write(work);
      depth++;
      const started = performance.now();
      try {
        return write(work);
      } finally {
        depth--;
        const ms = performance.now() - started;
        // A slow write is named by its caller, so what still writes on the main connection shows.
        this.note('write', ms, ms < this.slowMs ? [] : [writeCaller(new Error().stack)]);
      }
    };
  }

  private keepLateTick(tick: LateTick): void {
    this.lateTicks.push(tick);
    this.lateTicks.sort((a, b) => b.ms - a.ms);
    if (this.lateTicks.length > LATE_TICKS_KEPT) this.lateTicks.length = LATE_TICKS_KEPT;
  }

  private note(name: string, ms: number, args: unknown[]): void {
    let entry = this.operations.get(name);
    if (!entry) {
      entry = { calls: 0, totalMs: 0, maxMs: 0 };
      this.operations.set(name, entry);
    }
    entry.calls++;
    entry.totalMs += ms;
    if (ms > entry.maxMs) entry.maxMs = ms;
    if (ms < this.slowMs) return;
    // Ingest bodies are large: only a query's parameters say which query it was.
    const detail =
      name === 'service.ingestRequests' ? `${Array.isArray(args[0]) ? args[0].length : 1} record(s)` : name === 'write' ? String(args[0] ?? '') : safeJson(args[0]).slice(0, 160);
    this.slow.push({ name, ms, endedAt: wallClock(), detail });
  }

  private report(): ProbeReport {
    const h = this.histogram;
    const ms = (ns: number) => Math.max(0, ns / 1e6 - PROBE_RESOLUTION_MS);
    const eld = h
      ? { count: h.count, min: ms(h.min), mean: ms(h.mean), p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), p999: ms(h.percentile(99.9)), max: ms(h.max) }
      : { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    const memory = process.memoryUsage();
    const sched = mainThreadSchedstat(process.pid);
    const since = this.schedAtReset;
    return {
      type: 'probe-report',
      eld,
      stalls: [...this.stalls],
      mainThread: sched && since ? { ranMs: (sched.runNs - since.runNs) / 1e6, waitedMs: (sched.waitNs - since.waitNs) / 1e6, slices: sched.slices - since.slices } : null,
      lateTicks: [...this.lateTicks],
      slow: [...this.slow].sort((a, b) => b.ms - a.ms).slice(0, 50),
      operations: Object.fromEntries(this.operations),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    };
  }
}

/** The first caller of a write outside the store's own write plumbing and this probe ("from runs.js:88 via ..."). */
function writeCaller(stack: string | undefined): string {
  const frames = (stack ?? '').split('\n').slice(1).map((line) => line.trim().replace(/^at /, ''));
  const outside = frames.filter((frame) => !/server-probe|store\/context\.|store\/ledger\.|node:internal/.test(frame));
  return outside.length === 0 ? '' : `from ${outside.slice(0, 2).map((frame) => frame.replace(/\(?file:\/\/.*\/dist\//, '(')).join(' < ')}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

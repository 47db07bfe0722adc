import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fmtInt, fmtMs, log, mainThreadSchedstat, percentile, processCpuSeconds, type Figure, type Measured, type Ratio } from './util.js';
import { forkChild, serverExecArgv, stopChild } from './children.js';

/**
 * P4: what the metering proxy adds to a request, against calling the upstream directly. The
 * upstream, the ModelMeter core (with the proxy) and this load generator run as three processes on
 * the same machine. Direct and proxied rounds alternate so that drift on a shared machine hits both.
 */
export interface P4Options {
  benchDir: string;
  /** Requests per round and path, at `concurrency` in flight. */
  requests: number;
  /**
   * How long the upstream takes to answer. A model takes far longer than this; 0 measures the proxy
   * saturated instead (every request queues behind the others on one event loop), reported as a note.
   */
  upstreamDelayMs: number;
  rounds: number;
  concurrency: number;
  streams: number;
  streamChunks: number;
  streamGapMs: number;
}

const TOKEN = 'bench-proxy-token-0123456789ab';

function send(agent: http.Agent, port: number, route: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: route, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Latency of each of `count` requests, `concurrency` in flight at all times, and the wall time. */
async function timedLoad(port: number, route: string, body: Buffer, count: number, concurrency: number): Promise<{ latencies: number[]; seconds: number }> {
  const started = performance.now();
  const latencies = await load(port, route, body, count, concurrency);
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Latency of each of `count` requests, `concurrency` in flight at all times. */
async function load(port: number, route: string, body: Buffer, count: number, concurrency: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const started = performance.now();
      const reply = await send(agent, port, route, body);
      latencies.push(performance.now() - started);
      if (reply.status !== 200) throw new Error(`${route} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return latencies;
}

interface StreamTiming {
  firstChunkMs: number;
  /** For each chunk after the first, how much later than the first chunk plus its schedule it came. */
  lateMs: number[];
}

function stream(agent: http.Agent, port: number, route: string, body: Buffer, gapMs: number): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(
      { host: '127.0.0.1', port, path: route, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        let first = -1;
        let seen = 0;
        const lateMs: number[] = [];
        let pending = '';
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          const now = performance.now();
          pending += text;
          const events = pending.split('\n\n');
          pending = events.pop() ?? '';
          for (const event of events) {
            if (!event.includes('"delta"')) continue;
            if (first < 0) first = now;
            else lateMs.push(now - first - seen * gapMs);
            seen++;
          }
        });
        response.on('end', () => resolve({ firstChunkMs: first - started, lateMs }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function streams(port: number, route: string, options: P4Options): Promise<StreamTiming[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const body = Buffer.from(JSON.stringify({ model: 'bench-model', stream: true, chunks: options.streamChunks, gapMs: options.streamGapMs, messages: [{ role: 'user', content: 'count' }] }));
  const timings: StreamTiming[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.streams) {
      next++;
      timings.push(await stream(agent, port, route, body, options.streamGapMs));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  return timings;
}

async function summary(port: number): Promise<{ requests: number; failures: number; inputTokens: number; cacheReadTokens: number }> {
  const reply = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/api/v1/summary?range=24h', headers: { authorization: `Bearer ${TOKEN}` } }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      })
      .on('error', reject);
  });
  return (JSON.parse(reply) as { totals: { requests: number; failures: number; inputTokens: number; cacheReadTokens: number } }).totals;
}

/**
 * CPU time (user + system, all threads) a child process has used so far, in ms; null where /proc is
 * not there. Breakdown only: per request it tells what each server costs, which wall-clock
 * throughput on a shared machine cannot.
 */
function cpuMs(pid: number | undefined): number | null {
  const seconds = pid === undefined ? null : processCpuSeconds(pid);
  return seconds === null ? null : seconds * 1000;
}

/** Issue 18: the proxy's overhead over calling the upstream directly (ms), and its saturated throughput vs a plain pass-through. */
export const P4_TARGETS = { p50OverheadMs: 0.5, p99OverheadMs: 2, throughputRatio: 0.8 };

export async function runP4(options: P4Options): Promise<Measured> {
  const dataDir = path.join(options.benchDir, 'tmp', 'p4');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const upstream = await forkChild('p4-upstream.js', []);
  const core = await forkChild('core-server.js', [dataDir, TOKEN], serverExecArgv());
  const passthrough = await forkChild('p4-passthrough.js', [String(upstream.port)]);
  try {
    const configure = await new Promise<number>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ protocol: 'openai', channels: [{ baseUrl: `http://127.0.0.1:${upstream.port}` }] }));
      const request = http.request(
        { host: '127.0.0.1', port: core.port, path: '/api/v1/routes/bench', method: 'PUT', headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${TOKEN}` } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    if (configure !== 200) throw new Error(`could not configure the proxy route (HTTP ${configure})`);

    const body = Buffer.from(JSON.stringify({ model: 'bench-model', delayMs: options.upstreamDelayMs, messages: [{ role: 'user', content: 'Say something short.' }] }));
    const instant = Buffer.from(JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'Say something short.' }] }));
    const direct = { port: upstream.port, route: '/v1/chat/completions' };
    const proxied = { port: core.port, route: '/r/bench/v1/chat/completions' };
    const plain = { port: passthrough.port, route: '/r/bench/v1/chat/completions' };
    log(`P4: warming up (direct, pass-through and proxied, ${options.concurrency} concurrent)`);
    await load(direct.port, direct.route, body, options.concurrency * 20, options.concurrency);
    await load(plain.port, plain.route, body, options.concurrency * 20, options.concurrency);
    await load(proxied.port, proxied.route, body, options.concurrency * 20, options.concurrency);
    // Recording is buffered (1 s): let the warm-up's records land before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const before = await summary(core.port);

    const directMs: number[] = [];
    const proxiedMs: number[] = [];
    const serialDirect: number[] = [];
    const serialProxied: number[] = [];
    const plainMs: number[] = [];
    const saturatedDirect: number[] = [];
    const saturatedProxied: number[] = [];
    const saturatedPlain: number[] = [];
    // Wall time of the saturated rounds per path: throughput is requests / time.
    const saturatedSeconds = { direct: 0, proxied: 0, plain: 0 };
    // CPU the serving process used during its saturated rounds (the proxy: ModelMeter's core, writer thread included).
    const saturatedCpuMs = { proxied: 0 as number | null, plain: 0 as number | null };
    const servers = { proxied: core, plain: passthrough };
    const saturated = async (path: { port: number; route: string }, into: number[], key: keyof typeof saturatedSeconds) => {
      const server = key === 'direct' ? null : servers[key];
      const cpuBefore = server ? cpuMs(server.child.pid) : null;
      const result = await timedLoad(path.port, path.route, instant, options.requests / 4, options.concurrency);
      if (key !== 'direct') {
        const cpuAfter = server ? cpuMs(server.child.pid) : null;
        const used = saturatedCpuMs[key];
        saturatedCpuMs[key] = used === null || cpuBefore === null || cpuAfter === null ? null : used + cpuAfter - cpuBefore;
      }
      into.push(...result.latencies);
      saturatedSeconds[key] += result.seconds;
    };
    // The serving process's main thread in the latency rounds: time on a core and waiting for one.
    const mainThread = { proxied: { runNs: 0, waitNs: 0 }, plain: { runNs: 0, waitNs: 0 } };
    const latencyRound = async (path: { port: number; route: string }, into: number[], key: keyof typeof mainThread) => {
      const pid = servers[key].child.pid!;
      const before = mainThreadSchedstat(pid);
      into.push(...(await load(path.port, path.route, body, options.requests, options.concurrency)));
      const after = mainThreadSchedstat(pid);
      if (before && after) {
        mainThread[key].runNs += after.runNs - before.runNs;
        mainThread[key].waitNs += after.waitNs - before.waitNs;
      }
    };
    for (let round = 0; round < options.rounds; round++) {
      directMs.push(...(await load(direct.port, direct.route, body, options.requests, options.concurrency)));
      await latencyRound(plain, plainMs, 'plain');
      await latencyRound(proxied, proxiedMs, 'proxied');
      serialDirect.push(...(await load(direct.port, direct.route, instant, 500, 1)));
      serialProxied.push(...(await load(proxied.port, proxied.route, instant, 500, 1)));
      await saturated(direct, saturatedDirect, 'direct');
      await saturated(plain, saturatedPlain, 'plain');
      await saturated(proxied, saturatedProxied, 'proxied');
      log(`P4: round ${round + 1}/${options.rounds}: p50 direct ${fmtMs(percentile(directMs, 50))} / proxied ${fmtMs(percentile(proxiedMs, 50))}`);
    }
    log(`P4: ${options.streams} streams of ${options.streamChunks} chunks ${options.streamGapMs} ms apart, direct and proxied`);
    const directStreams = await streams(direct.port, direct.route, options);
    const proxiedStreams = await streams(proxied.port, proxied.route, options);

    // Recording is buffered: give the writer its flush interval before counting what was stored.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await summary(core.port);
    const sent = options.rounds * (options.requests + 500 + options.requests / 4) + options.streams;
    const recorded = after.requests - before.requests;

    const p = (values: number[], q: number) => percentile(values, q);
    const rate = (count: number, seconds: number) => count / seconds;
    const rateDirect = rate(saturatedDirect.length, saturatedSeconds.direct);
    const ratePlain = rate(saturatedPlain.length, saturatedSeconds.plain);
    const rateProxied = rate(saturatedProxied.length, saturatedSeconds.proxied);
    const firstDirect = directStreams.map((timing) => timing.firstChunkMs);
    const firstProxied = proxiedStreams.map((timing) => timing.firstChunkMs);
    const lateDirect = directStreams.flatMap((timing) => timing.lateMs);
    const lateProxied = proxiedStreams.flatMap((timing) => timing.lateMs);
    const notes = [
      `${options.concurrency} concurrent, upstream answering in ${options.upstreamDelayMs} ms, ${fmtInt(options.rounds * options.requests)} requests per path: direct p50 ${fmtMs(p(directMs, 50))} p99 ${fmtMs(p(directMs, 99))}; plain pass-through (Fastify + node:http, no parsing or recording) p50 ${fmtMs(p(plainMs, 50))} p99 ${fmtMs(p(plainMs, 99))}; proxied p50 ${fmtMs(p(proxiedMs, 50))} p99 ${fmtMs(p(proxiedMs, 99))}`,
      `the pass-through's own overhead over direct: p50 ${fmtMs(p(plainMs, 50) - p(directMs, 50))}, p99 ${fmtMs(p(plainMs, 99) - p(directMs, 99))} (what any proxy on this HTTP stack costs here)`,
      `saturated (${options.concurrency} concurrent, upstream answering at once, ${fmtInt(saturatedDirect.length)} requests per path): direct ${fmtInt(rateDirect)} req/s (p99 ${fmtMs(p(saturatedDirect, 99))}); pass-through ${fmtInt(ratePlain)} req/s (p99 ${fmtMs(p(saturatedPlain, 99))}); proxied ${fmtInt(rateProxied)} req/s (p50 ${fmtMs(p(saturatedProxied, 50))} p99 ${fmtMs(p(saturatedProxied, 99))})`,
      `one at a time, upstream answering at once (${fmtInt(serialDirect.length)} requests per path): direct p50 ${fmtMs(p(serialDirect, 50))} p99 ${fmtMs(p(serialDirect, 99))}; proxied p50 ${fmtMs(p(serialProxied, 50))} p99 ${fmtMs(p(serialProxied, 99))}; overhead p50 ${fmtMs(p(serialProxied, 50) - p(serialDirect, 50))}`,
      `streaming, first chunk: direct p50 ${fmtMs(p(firstDirect, 50))} / proxied p50 ${fmtMs(p(firstProxied, 50))} p99 ${fmtMs(p(firstProxied, 99))}; later chunks behind their schedule: direct p50 ${fmtMs(p(lateDirect, 50))} p99 ${fmtMs(p(lateDirect, 99))}, proxied p50 ${fmtMs(p(lateProxied, 50))} p99 ${fmtMs(p(lateProxied, 99))}`,
      `recorded ${fmtInt(recorded)} of ${fmtInt(sent)} proxied requests, ${after.failures - before.failures} failures`,
    ];
    const perRequest = (ms: number, count: number) => `${Math.round((ms * 1000) / count)} µs`;
    if (saturatedCpuMs.proxied !== null && saturatedCpuMs.plain !== null) {
      notes.push(
        `CPU per request, saturated rounds (the serving process, all its threads): proxied ${perRequest(saturatedCpuMs.proxied, saturatedProxied.length)}, pass-through ${perRequest(saturatedCpuMs.plain, saturatedPlain.length)}`,
      );
    }
    if (mainThread.proxied.runNs > 0 && mainThread.plain.runNs > 0) {
      const latencyRequests = options.rounds * options.requests;
      const each = (ns: number) => perRequest(ns / 1e6, latencyRequests);
      notes.push(
        `the serving process's main thread in the ${options.upstreamDelayMs} ms rounds, per request (scheduler counters): proxied ${each(mainThread.proxied.runNs)} on a core, ${each(mainThread.proxied.waitNs)} waiting for one; pass-through ${each(mainThread.plain.runNs)} / ${each(mainThread.plain.waitNs)}`,
      );
    }
    if (recorded !== sent) notes.push(`WARNING: the ledger recorded ${recorded} proxied requests, ${sent} were sent`);
    const figures: Figure[] = [
      { id: 'P4', what: `proxied latency p50, ${options.concurrency} concurrent, upstream ${options.upstreamDelayMs} ms`, value: p(proxiedMs, 50), unit: 'ms', target: null, better: 'lower', notes },
      { id: 'P4', what: `proxied latency p99, ${options.concurrency} concurrent, upstream ${options.upstreamDelayMs} ms`, value: p(proxiedMs, 99), unit: 'ms', target: null, better: 'lower' },
      { id: 'P4', what: 'proxied throughput, saturated (req/s)', value: rateProxied, unit: 'req/s', target: null, better: 'higher' },
      { id: 'P4', what: 'first stream chunk, extra delay through the proxy (p50)', value: p(firstProxied, 50) - p(firstDirect, 50), unit: 'ms', target: null, better: 'lower' },
    ];
    const ratios: Ratio[] = [
      {
        id: 'P4',
        what: `proxy overhead p50 over direct (${options.concurrency} concurrent, upstream ${options.upstreamDelayMs} ms)`,
        figure: p(proxiedMs, 50),
        limit: p(directMs, 50),
        limitWhat: 'calling the upstream directly, same run',
        unit: 'ms',
        kind: 'difference',
        target: P4_TARGETS.p50OverheadMs,
        better: 'lower',
      },
      {
        id: 'P4',
        what: `proxy overhead p99 over direct (${options.concurrency} concurrent, upstream ${options.upstreamDelayMs} ms)`,
        figure: p(proxiedMs, 99),
        limit: p(directMs, 99),
        limitWhat: 'calling the upstream directly, same run',
        unit: 'ms',
        kind: 'difference',
        target: P4_TARGETS.p99OverheadMs,
        better: 'lower',
      },
      {
        id: 'P4',
        what: `proxy throughput, saturated (${options.concurrency} concurrent, upstream at once) vs plain pass-through`,
        figure: rateProxied,
        limit: ratePlain,
        limitWhat: 'a bench-only Fastify pass-through (bytes only), same run',
        unit: 'req/s',
        kind: 'ratio',
        target: P4_TARGETS.throughputRatio,
        better: 'higher',
      },
    ];
    return { figures, ratios };
  } finally {
    await stopChild(passthrough);
    await stopChild(core, 'close');
    await stopChild(upstream);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

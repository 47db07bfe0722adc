import http from 'node:http';
import type { Catalogue } from '../dataset.js';
import { recordBatches, toWire } from '../dataset.js';
import type { RequestRecord } from '../../shared/schemas/request-record.js';
import { call, subscribe, type Subscription } from './http.js';
import type { LatencyBook } from './latency.js';

/**
 * The mixed workload of the load benchmark: what a busy ModelMeter sees at once. Every stream of
 * calls is open-loop (sent on a fixed schedule, not after the previous answer), so a server that
 * stalls shows it in the latencies instead of quietly being asked less.
 */
export const PLAN = {
  /** Launchers and scripts posting what they saw: `clients` each posting a batch every `everyMs`. */
  batches: { clients: 2, everyMs: 500, minRecords: 100, maxRecords: 1_000 },
  /** Reporters posting one record per request. */
  singles: { clients: 4, everyMs: 100 },
  /** Open dashboards (a browser tab and the desktop window), each refreshing every second. */
  dashboards: { count: 2, everyMs: 1_000 },
  /** Open event streams (tabs, windows, the tray). */
  subscribers: 4,
  /** A marked record every second whose event the subscribers time. */
  probeEveryMs: 1_000,
  /** Proxied chat completions: the upstream answers after `upstreamMs`. */
  proxy: { everyMs: 50, upstreamMs: 100 },
  /** Proxied streams: `concurrent` at all times, each `chunks` chunks `gapMs` apart. */
  streams: { concurrent: 4, chunks: 20, gapMs: 25 },
  /** Local models kept running by a launcher that heartbeats each one. */
  launcher: { models: 3, heartbeatMs: 2_000 },
  /** Calls of one stream still unanswered before the next one is skipped (and counted). */
  maxInFlight: 64,
  timeoutMs: 30_000,
} as const;

export const PROBE_MODEL = 'load-probe';

/** The dashboard's calls, as the Overview, Models and Channels views make them. */
export const DASHBOARD: readonly { kind: string; path: string }[] = [
  { kind: 'summary today', path: '/api/v1/summary?range=today' },
  { kind: 'summary 24h', path: '/api/v1/summary?range=24h' },
  { kind: 'summary 7d', path: '/api/v1/summary?range=7d' },
  { kind: 'summary 30d', path: '/api/v1/summary?range=30d' },
  { kind: 'history 24h by model', path: '/api/v1/history?range=24h&interval=auto&groupBy=model' },
  { kind: 'history 30d by model', path: '/api/v1/history?range=30d&interval=auto&groupBy=model' },
  { kind: 'runs', path: '/api/v1/runs?limit=100' },
  { kind: 'circuits', path: '/api/v1/circuits' },
  { kind: 'request log page', path: '/api/v1/requests?limit=50' },
  { kind: 'storage', path: '/api/v1/storage' },
];
export const DASHBOARD_REFRESH = `dashboard refresh (${DASHBOARD.length} calls at once)`;

export interface WorkloadTarget {
  port: number;
  token: string;
  route: string;
  catalogue: Catalogue;
  seed: number;
}

export interface WorkloadCounts {
  /** Since the start, warm-up included: what the ledger must hold at the end. */
  total: { accepted: number; proxied: number; unanswered: number };
  recordsAccepted: number;
  recordsDuplicate: number;
  proxied: number;
  skipped: Record<string, number>;
  events: number[];
  probesSent: number;
  /** Probe deliveries that had not arrived when the next probe went out. */
  probesMissed: number;
}

export class Workload {
  readonly counts: WorkloadCounts = { total: { accepted: 0, proxied: 0, unanswered: 0 }, recordsAccepted: 0, recordsDuplicate: 0, proxied: 0, skipped: {}, events: [], probesSent: 0, probesMissed: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly agents: http.Agent[] = [];
  private subscriptions: Subscription[] = [];
  private stopped = false;
  private readonly records: Generator<RequestRecord[]>;
  private probe: { sentAt: number; waiting: Set<number> } | null = null;
  private readonly runModels: string[];

  constructor(
    private readonly target: WorkloadTarget,
    private readonly book: LatencyBook,
  ) {
    // The benchmark catalogue's traffic mix; only the time of each record is replaced by "now".
    this.records = recordBatches({ records: 50_000_000, endTs: Date.now(), days: 30, seed: target.seed + 17 }, target.catalogue, 1);
    this.runModels = target.catalogue.models.filter((model) => model.local).slice(0, PLAN.launcher.models).map((model) => model.name);
  }

  private agent(sockets: number): http.Agent {
    const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.agents.push(agent);
    return agent;
  }

  private nextRecords(count: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const next = this.records.next();
      if (next.done) throw new Error('the record generator ran dry');
      // A launcher posts what it saw in the last half minute.
      out.push(toWire({ ...next.value[0]!, ts: now - Math.floor(Math.random() * 30_000) }));
    }
    return out;
  }

  /** Calls `task` every `ms`, without waiting for the previous call; skips while too many are open. */
  private every(name: string, ms: number, task: () => Promise<unknown>, limit: number = PLAN.maxInFlight): void {
    let open = 0;
    const tick = () => {
      if (this.stopped) return;
      if (open >= limit) {
        this.counts.skipped[name] = (this.counts.skipped[name] ?? 0) + 1;
        return;
      }
      open++;
      const running = task().finally(() => {
        open--;
        this.inFlight.delete(running);
      });
      this.inFlight.add(running);
    };
    // Spread the streams over the period so their calls do not all land on the same millisecond.
    const first = setTimeout(() => {
      tick();
      this.timers.push(setInterval(tick, ms));
    }, Math.random() * ms);
    this.timers.push(first);
  }

  private async request(kind: string, agent: http.Agent, method: string, path: string, body?: string, token: string | undefined = this.target.token) {
    const answer = await call({ agent, port: this.target.port, method, path, token, ...(body === undefined ? {} : { body }), timeoutMs: PLAN.timeoutMs });
    const ok = answer.status >= 200 && answer.status < 300;
    this.book.add(kind, answer.ms, ok, ok ? undefined : `${answer.status} ${answer.text.slice(0, 200)}`);
    return { ...answer, ok };
  }

  async start(): Promise<void> {
    const { token, port } = this.target;
    for (let i = 0; i < PLAN.subscribers; i++) {
      this.counts.events.push(0);
      const subscription = subscribe(port, token, (event) => {
        this.counts.events[i]!++;
        if (event.event !== 'requests' || !this.probe?.waiting.has(i)) return;
        const models = (JSON.parse(event.data) as { models?: string[] }).models ?? [];
        if (!models.includes(PROBE_MODEL)) return;
        this.probe.waiting.delete(i);
        this.book.add('event delivery (post to subscriber)', event.at - this.probe.sentAt);
      });
      this.subscriptions.push(subscription);
    }
    await Promise.all(this.subscriptions.map((subscription) => subscription.ready));

    const launcher = this.agent(4);
    for (const model of this.runModels) {
      const started = await this.request('run report', launcher, 'POST', '/api/v1/runs', JSON.stringify({ model, event: 'start', source: 'load-bench' }));
      if (!started.ok) throw new Error(`could not start a run: ${started.status} ${started.text}`);
    }
    this.every('run heartbeat', PLAN.launcher.heartbeatMs, () =>
      Promise.all(this.runModels.map((model) => this.request('run report', launcher, 'POST', '/api/v1/runs', JSON.stringify({ model, event: 'heartbeat', source: 'load-bench' })))),
    );

    for (let c = 0; c < PLAN.batches.clients; c++) {
      const agent = this.agent(8);
      this.every(`ingest batch ${c}`, PLAN.batches.everyMs, async () => {
        const size = PLAN.batches.minRecords + Math.floor(Math.random() * (PLAN.batches.maxRecords - PLAN.batches.minRecords + 1));
        const answer = await this.request('ingest batch', agent, 'POST', '/api/v1/requests', JSON.stringify(this.nextRecords(size)));
        if (answer.ok) this.countIngest(answer.text);
        else if (answer.status === 0) this.counts.total.unanswered += size;
      });
    }
    for (let c = 0; c < PLAN.singles.clients; c++) {
      const agent = this.agent(8);
      this.every(`ingest single ${c}`, PLAN.singles.everyMs, async () => {
        const answer = await this.request('ingest single record', agent, 'POST', '/api/v1/requests', JSON.stringify(this.nextRecords(1)[0]));
        if (answer.ok) this.countIngest(answer.text);
        else if (answer.status === 0) this.counts.total.unanswered++;
      });
    }

    const probeAgent = this.agent(2);
    this.every('event probe', PLAN.probeEveryMs, async () => {
      if (this.probe) this.counts.probesMissed += this.probe.waiting.size;
      this.probe = { sentAt: performance.now(), waiting: new Set(this.subscriptions.map((_, i) => i)) };
      this.counts.probesSent++;
      const answer = await this.request('ingest single record', probeAgent, 'POST', '/api/v1/requests', JSON.stringify({ model: PROBE_MODEL, inputTokens: 1, source: 'load-bench' }));
      if (answer.ok) this.countIngest(answer.text);
      else if (answer.status === 0) this.counts.total.unanswered++;
    });

    for (let d = 0; d < PLAN.dashboards.count; d++) {
      const agent = this.agent(DASHBOARD.length);
      this.every(
        `dashboard ${d}`,
        PLAN.dashboards.everyMs,
        async () => {
          const started = performance.now();
          const answers = await Promise.all(DASHBOARD.map(({ kind, path }) => this.request(kind, agent, 'GET', path)));
          this.book.add(DASHBOARD_REFRESH, performance.now() - started, answers.every((answer) => answer.ok));
        },
        4,
      );
    }

    const proxyAgent = this.agent(PLAN.maxInFlight);
    const chat = JSON.stringify({ model: 'bench-model', delayMs: PLAN.proxy.upstreamMs, messages: [{ role: 'user', content: 'Say something short.' }] });
    const routePath = `/r/${this.target.route}/v1/chat/completions`;
    this.every('proxy', PLAN.proxy.everyMs, async () => {
      // The proxy takes the route's own credentials: the client sends none.
      const answer = await this.request(`proxied completion (upstream ${PLAN.proxy.upstreamMs} ms)`, proxyAgent, 'POST', routePath, chat, undefined);
      if (answer.ok) this.countProxied();
      else if (answer.status === 0) this.counts.total.unanswered++;
    });
    const streamAgent = this.agent(PLAN.streams.concurrent);
    const streamBody = JSON.stringify({ model: 'bench-model', stream: true, chunks: PLAN.streams.chunks, gapMs: PLAN.streams.gapMs, messages: [{ role: 'user', content: 'count' }] });
    for (let s = 0; s < PLAN.streams.concurrent; s++) {
      const loop = (async () => {
        // Staggered so the streams' chunks interleave.
        await new Promise((resolve) => setTimeout(resolve, (s * PLAN.streams.chunks * PLAN.streams.gapMs) / PLAN.streams.concurrent));
        while (!this.stopped) await this.stream(streamAgent, routePath, streamBody);
      })();
      this.inFlight.add(loop);
    }
  }

  private stream(agent: http.Agent, path: string, body: string): Promise<void> {
    const started = performance.now();
    const kind = `proxied stream (${PLAN.streams.chunks} chunks ${PLAN.streams.gapMs} ms apart)`;
    return new Promise((resolve) => {
      const request = http.request(
        { host: '127.0.0.1', port: this.target.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          let first = -1;
          response.setEncoding('utf8');
          response.on('data', () => {
            if (first < 0) first = performance.now();
          });
          response.on('end', () => {
            const ok = response.statusCode === 200;
            if (first >= 0) this.book.add('proxied stream, first chunk', first - started, ok);
            this.book.add(kind, performance.now() - started, ok, ok ? undefined : `status ${response.statusCode}`);
            if (ok) this.countProxied();
            resolve();
          });
          response.on('error', () => resolve());
        },
      );
      request.setTimeout(PLAN.timeoutMs, () => request.destroy(new Error('timeout')));
      request.on('error', (error) => {
        this.book.add(kind, performance.now() - started, false, error.message);
        resolve();
      });
      request.end(body);
    });
  }

  private countProxied(): void {
    this.counts.proxied++;
    this.counts.total.proxied++;
  }

  private countIngest(text: string): void {
    const result = JSON.parse(text) as { accepted: number; duplicates: number };
    this.counts.total.accepted += result.accepted;
    this.counts.recordsAccepted += result.accepted;
    this.counts.recordsDuplicate += result.duplicates;
  }

  /** Resets what was counted so far (the warm-up); the latencies are reset by their owner. */
  resetCounts(): void {
    this.counts.recordsAccepted = 0;
    this.counts.recordsDuplicate = 0;
    this.counts.proxied = 0;
    this.counts.skipped = {};
    this.counts.events = this.counts.events.map(() => 0);
    this.counts.probesSent = 0;
    this.counts.probesMissed = 0;
  }

  /** Stops scheduling, waits for what is under way, stops the runs and closes the streams. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.inFlight]);
    const agent = this.agent(4);
    for (const model of this.runModels) {
      await this.request('run report', agent, 'POST', '/api/v1/runs', JSON.stringify({ model, event: 'stop', source: 'load-bench' }));
    }
    for (const subscription of this.subscriptions) subscription.close();
    for (const agent of this.agents) agent.destroy();
  }

  get models(): readonly string[] {
    return this.runModels;
  }
}

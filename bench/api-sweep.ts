import http from 'node:http';
import type { Dataset } from './build-dataset.js';
import { DAY_MS, HOSTS, HOUR_MS, PROJECTS } from './dataset.js';
import { HEADLESS_TOKEN, spawnHeadless, stopHeadless, waitHealthy } from './headless.js';
import { fmtBytes, fmtMs, log, percentile, type Figure } from './util.js';

/**
 * `sweep` (ours, opt-in): every read of the API, as a dashboard or a script calls it, over HTTP against
 * the headless server on the benchmark database: each path once, then `repeats` times over one
 * keep-alive connection. Where P3 measures a few reads closely, this looks for the one nobody measured
 * (round 17 found the request log taking 0.55 s for a filter that matched nothing). Exports and
 * minute-grain history are listed apart: their size is what was asked for.
 */
interface Call {
  path: string;
  /** A read a view makes while the user waits (the figure is the slowest of these). */
  interactive: boolean;
}

function calls(dataset: Dataset): Call[] {
  const end = dataset.marker.endTs;
  const { models, channels } = dataset.catalogue;
  const cloud = models.filter((model) => model.apiType !== null);
  const model = encodeURIComponent(cloud[0]!.name);
  const rare = encodeURIComponent([...cloud].sort((a, b) => a.weight - b.weight)[0]!.name);
  // An API type that model is never called with: a filter matching nothing.
  const otherApi = cloud[0]!.apiType === 'gemini' ? 'anthropic' : 'gemini';
  const key = channels[0]!.metricsKey;
  const project = encodeURIComponent(PROJECTS[0]!);
  const host = encodeURIComponent(HOSTS[0]);
  const days = (n: number) => `from=${end - n * DAY_MS}&to=${end}`;
  // Bounds inside hours, as a user's picked dates give them.
  const odd = `from=${end - 17 * DAY_MS + 12_345}&to=${end - 3 * DAY_MS - 54_321}`;
  const interactive = [
    '/healthz',
    '/api/v1/summary?range=today',
    '/api/v1/summary?range=24h',
    `/api/v1/summary?${days(7)}`,
    `/api/v1/summary?${days(30)}`,
    `/api/v1/summary?${odd}`,
    `/api/v1/summary?${days(30)}&project=${project}`,
    `/api/v1/summary?${days(30)}&host=${host}`,
    `/api/v1/history?${days(1)}`,
    `/api/v1/history?${days(7)}`,
    `/api/v1/history?${days(30)}&groupBy=model`,
    `/api/v1/history?${days(30)}&groupBy=project`,
    `/api/v1/history?${days(30)}&groupBy=host`,
    `/api/v1/history?${days(30)}&model=${model}`,
    `/api/v1/history?${days(30)}&metricsKey=${key}`,
    `/api/v1/history?${days(30)}&apiType=openai`,
    `/api/v1/history?${days(30)}&project=${project}&groupBy=model`,
    `/api/v1/history?${odd}&interval=${HOUR_MS / 1000}&groupBy=model`,
    `/api/v1/requests?${days(30)}`,
    `/api/v1/requests?${days(30)}&limit=1000`,
    `/api/v1/requests?${days(30)}&model=${rare}`,
    `/api/v1/requests?${days(30)}&model=${model}&apiType=${otherApi}`,
    `/api/v1/requests?${days(30)}&project=${project}&model=${rare}`,
    `/api/v1/requests?${days(30)}&host=${host}&apiType=anthropic`,
    `/api/v1/requests?${days(30)}&metricsKey=${key}`,
    '/api/v1/runs',
    '/api/v1/program-runs',
    '/api/v1/projects',
    '/api/v1/hosts',
    '/api/v1/circuits',
    '/api/v1/circuits/events',
    '/api/v1/pricing',
    '/api/v1/catalogue?search=claude',
    '/api/v1/catalogue/status',
    '/api/v1/storage',
    '/api/v1/settings',
    '/api/v1/budgets',
    '/api/v1/budgets/alerts',
    '/api/v1/forecast',
    '/api/v1/agents',
    '/api/v1/forwarding',
    '/api/v1/routes',
    '/api/v1/watchers',
    '/api/v1/savings/references',
    '/metrics',
  ];
  const sized = [
    `/api/v1/history?${days(1)}&interval=60&groupBy=model`,
    `/api/v1/export?format=csv&${days(30)}&model=unknown-model`,
    `/api/v1/export?format=csv&${days(30)}&model=${rare}`,
    `/api/v1/export?format=json&${days(1)}`,
  ];
  return [...interactive.map((path) => ({ path, interactive: true })), ...sized.map((path) => ({ path, interactive: false }))];
}

function timedGet(agent: http.Agent, port: number, path: string): Promise<{ ms: number; status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${HEADLESS_TOKEN}` } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve({ ms: performance.now() - started, status: response.statusCode ?? 0, bytes }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Runs `work` while /healthz is called every 5 ms on a connection of its own; answers those calls' times. */
async function besideHealthz(port: number, work: () => Promise<void>): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let done = false;
  const polling = (async () => {
    while (!done) {
      times.push((await timedGet(agent, port, '/healthz')).ms);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await polling;
    agent.destroy();
  }
  return times;
}

/** Reads the answers' bodies too: a slow answer is slow where the client gets its last byte. */
export async function runSweep(dataset: Dataset, repeats: number): Promise<Figure> {
  const server = await spawnHeadless(dataset.dir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await waitHealthy(server, 5);
    const rows: { call: Call; p50: number; max: number; bytes: number }[] = [];
    const all = calls(dataset);
    const sweep = async (group: Call[]) => {
      for (const call of group) {
        const first = await timedGet(agent, server.port, call.path);
        if (first.status !== 200) throw new Error(`sweep: GET ${call.path} answered ${first.status}`);
        const times: number[] = [];
        for (let i = 0; i < (call.interactive ? repeats : Math.min(repeats, 3)); i++) times.push((await timedGet(agent, server.port, call.path)).ms);
        rows.push({ call, p50: percentile(times, 50), max: Math.max(first.ms, ...times), bytes: first.bytes });
      }
    };
    await sweep(all.filter((call) => call.interactive));
    // What the big reads do to everything else: /healthz answers when the event loop turns.
    const beside = await besideHealthz(server.port, () => sweep(all.filter((call) => !call.interactive)));
    const interactive = rows.filter((row) => row.call.interactive);
    const slowest = interactive.reduce((worst, row) => (row.p50 > worst.p50 ? row : worst));
    const line = (row: (typeof rows)[number]) => `${row.call.path.replace(/from=\d+&to=\d+/, 'from=..&to=..')} p50 ${fmtMs(row.p50)} max ${fmtMs(row.max)} (${fmtBytes(row.bytes)})`;
    log(`sweep: ${rows.length} reads; slowest interactive p50 ${fmtMs(slowest.p50)}: ${slowest.call.path}`);
    return {
      id: 'SWEEP',
      what: `slowest of ${interactive.length} interactive API reads at ${(dataset.marker.records / 1e6).toFixed(0)}M, over HTTP, p50 (ms)`,
      value: slowest.p50,
      unit: 'ms',
      target: 100,
      better: 'lower',
      notes: [
        `each read once, then ${repeats} times over one keep-alive connection (p50 of those; max includes the first); first call of each at a cold cache for its kind`,
        ...[...interactive].sort((a, b) => b.p50 - a.p50).map(line),
        'sized by what was asked (not in the figure):',
        ...rows.filter((row) => !row.call.interactive).map(line),
        `/healthz every 5 ms meanwhile, on a connection of its own: p50 ${fmtMs(percentile(beside, 50))} p99 ${fmtMs(percentile(beside, 99))} max ${fmtMs(Math.max(...beside))} (${beside.length} calls)`,
      ],
    };
  } finally {
    agent.destroy();
    await stopHeadless(server);
  }
}

import fs from 'node:fs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import type { Dataset } from '../build-dataset.js';
import { HEADLESS_TOKEN, spawnHeadless, stopHeadless, waitHealthy } from '../headless.js';
import { fmtMs, log, median, processCpuSeconds, processTable, processTreeCpuSeconds, sleep, type Figure } from '../util.js';

/**
 * `ui` (ours, opt-in): the dashboard as a person meets it, in Chromium against the headless server on
 * the benchmark database. How long each view takes from a click to its data on screen (its last API
 * answer), and what an open window costs the machine (the server and the browser, all their
 * processes) while live traffic flows: shown, and hidden as a window in the tray or a background tab
 * is. Needs the renderer built (`npm run bench:ui` builds it) and Debian's Chromium (CHROMIUM_PATH).
 */
export interface UiOptions {
  /** Rounds over every view. */
  repeats: number;
  /** Seconds each CPU phase lasts. */
  phaseSeconds: number;
}

const VIEWS = ['overview', 'models', 'channels', 'pricing', 'budgets', 'data', 'settings', 'quick'] as const;
/** The range the views show: the longest preset, the most data behind each figure. */
const RANGE = '30d';
/** Nothing in flight for this long: the view has what it asked for. */
const QUIET_MS = 500;
/** Live traffic: a request recorded every this many ms, as a busy proxy or agent would send them. */
const TRAFFIC_EVERY_MS = 250;

/** Tracks the page's API calls (not its event stream): in flight, answered, and when the last one was. */
class ApiWatch {
  readonly inFlight = new Set<Request>();
  answered = 0;
  lastAnswerAt = 0;

  constructor(page: Page) {
    page.on('request', (request) => {
      if (request.url().includes('/api/') && !request.url().includes('/events')) this.inFlight.add(request);
    });
    const done = (request: Request) => {
      if (!this.inFlight.delete(request)) return;
      this.answered += 1;
      this.lastAnswerAt = performance.now();
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
  }

  /** ms from `since` to the last answer, once nothing has been in flight for QUIET_MS. */
  async settled(since: number, limitMs = 30_000): Promise<number> {
    for (;;) {
      await sleep(50);
      const last = Math.max(this.lastAnswerAt, since);
      if (this.inFlight.size === 0 && performance.now() - last >= QUIET_MS) return last - since;
      if (performance.now() - since > limitMs) throw new Error(`the page still had ${this.inFlight.size} API call(s) in flight after ${limitMs / 1000} s`);
    }
  }
}

/** CPU seconds of the Chromium processes this benchmark started (its children named so) and theirs. */
function browserCpu(): number {
  const table = processTable();
  return table.filter((entry) => entry.parent === process.pid && /chrom/i.test(entry.command)).reduce((sum, entry) => sum + processTreeCpuSeconds(entry.pid, table), 0);
}

/** Makes the page hidden or visible as a background tab or a window hidden to the tray would. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  // Page code as text: this file is compiled for Node, without the DOM's types.
  await page.evaluate(`(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event('visibilitychange'));
  })()`);
}

const go = (page: Page, view: string) => page.evaluate(`location.hash = '#/${view}'`);

interface Phase {
  what: string;
  serverPercent: number | null;
  browserPercent: number;
  callsPerSecond: number;
  recordsPerSecond: number;
}

async function cpuPhase(what: string, serverPid: number, port: number, watch: ApiWatch, seconds: number, model: string | null): Promise<Phase> {
  const server0 = processCpuSeconds(serverPid);
  const browser0 = browserCpu();
  const calls0 = watch.answered;
  const started = performance.now();
  let posted = 0;
  while (performance.now() - started < seconds * 1000) {
    if (model === null) {
      await sleep(200);
      continue;
    }
    const records = [{ ts: Date.now(), model, apiType: 'openai', inputTokens: 1200, outputTokens: 300, cacheReadTokens: 800, success: true, latencyMs: 900, source: 'bench-ui' }];
    const reply = await fetch(`http://127.0.0.1:${port}/api/v1/requests`, { method: 'POST', headers: { authorization: `Bearer ${HEADLESS_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    if (!reply.ok) throw new Error(`posting live traffic answered ${reply.status}: ${await reply.text()}`);
    posted += records.length;
    await sleep(TRAFFIC_EVERY_MS);
  }
  const elapsed = (performance.now() - started) / 1000;
  const server1 = processCpuSeconds(serverPid);
  return {
    what,
    serverPercent: server0 === null || server1 === null ? null : (100 * (server1 - server0)) / elapsed,
    browserPercent: (100 * (browserCpu() - browser0)) / elapsed,
    callsPerSecond: (watch.answered - calls0) / elapsed,
    recordsPerSecond: posted / elapsed,
  };
}

const pct = (value: number | null) => (value === null ? '-' : `${value.toFixed(1)} %`);

export async function runUi(dataset: Dataset, options: UiOptions): Promise<Figure[]> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    return [{ id: 'UI', what: 'the dashboard in Chromium', value: null, unit: 'ms', target: null, better: 'lower', notes: [`ui: skipped, no Chromium at ${executablePath} (set CHROMIUM_PATH)`] }];
  }
  const server = spawnHeadless(dataset.dir);
  let browser: Browser | null = null;
  try {
    const headless = await server;
    await waitHealthy(headless);
    const index = await fetch(`http://127.0.0.1:${headless.port}/`);
    if (!(await index.text()).includes('<div id="app"')) throw new Error('the server has no dashboard to serve: build it first (npm run bench:ui does)');
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.addInitScript(`localStorage.setItem('modelmeter.range', JSON.stringify({ preset: '${RANGE}' }));`);
    const page = await context.newPage();
    const watch = new ApiWatch(page);
    const browserAtStart = browserCpu();

    log(`ui: opening the dashboard on ${dataset.marker.records.toLocaleString('en-US')} requests, range ${RANGE}`);
    let since = performance.now();
    await page.goto(`http://127.0.0.1:${headless.port}/#/overview&token=${HEADLESS_TOKEN}`);
    const firstLoad = await watch.settled(since);
    since = performance.now();
    await page.reload();
    const warmLoad = await watch.settled(since);

    const opens = new Map<string, number[]>(VIEWS.map((view) => [view, []]));
    for (let round = 0; round < options.repeats; round++) {
      for (const view of VIEWS) {
        since = performance.now();
        await go(page, view);
        opens.get(view)!.push(await watch.settled(since));
      }
    }
    const medians = VIEWS.map((view) => ({ view, ms: median(opens.get(view)!) }));
    const slowest = medians.reduce((a, b) => (b.ms > a.ms ? b : a));

    log(`ui: what an open Overview costs, ${options.phaseSeconds} s a phase`);
    await go(page, 'overview');
    await watch.settled(performance.now());
    const model = dataset.catalogue.models.find((candidate) => candidate.apiType === 'openai')?.name ?? 'gpt-4.1';
    const pid = headless.child.pid!;
    const quiet = await cpuPhase('shown, no traffic', pid, headless.port, watch, options.phaseSeconds, null);
    const shown = await cpuPhase('shown, live traffic', pid, headless.port, watch, options.phaseSeconds, model);
    await setHidden(page, true);
    const hidden = await cpuPhase('hidden, live traffic', pid, headless.port, watch, options.phaseSeconds, model);
    const beforeShow = watch.answered;
    since = performance.now();
    await setHidden(page, false);
    const catchUp = await watch.settled(since);
    const catchUpCalls = watch.answered - beforeShow;

    const phases = [quiet, shown, hidden];
    const phaseNote = (phase: Phase) =>
      `${phase.what}: server ${pct(phase.serverPercent)} of a core, browser ${pct(phase.browserPercent)}, ${phase.callsPerSecond.toFixed(1)} API calls/s by the page${phase.recordsPerSecond > 0 ? ` (${phase.recordsPerSecond.toFixed(1)} requests/s recorded)` : ''}`;
    const both = (phase: Phase) => (phase.serverPercent ?? 0) + phase.browserPercent;
    return [
      {
        id: 'UI1',
        what: `dashboard opened (Overview, ${RANGE}): navigation to its last API answer`,
        value: warmLoad,
        unit: 'ms',
        target: null,
        better: 'lower',
        notes: [`ui: first open after the server started ${fmtMs(firstLoad)}, a reload ${fmtMs(warmLoad)}`],
      },
      {
        id: 'UI2',
        what: `slowest view, click to its last API answer (median of ${options.repeats})`,
        value: slowest.ms,
        unit: 'ms',
        target: null,
        better: 'lower',
        notes: [`ui: each view, median of ${options.repeats}: ${medians.map(({ view, ms }) => `${view} ${fmtMs(ms)}`).join(', ')}`],
      },
      {
        id: 'UI3',
        what: 'Overview shown, live traffic: server + browser CPU (% of a core)',
        value: both(shown),
        unit: '%',
        target: null,
        better: 'lower',
        notes: phases.map((phase) => `ui: ${phaseNote(phase)}`),
      },
      {
        id: 'UI4',
        what: 'Overview hidden (tray, background tab), live traffic: server + browser CPU (% of a core)',
        value: both(hidden),
        unit: '%',
        target: null,
        better: 'lower',
        notes: [
          `ui: shown again, it caught up with ${catchUpCalls} API call(s) in ${fmtMs(catchUp)}`,
          // Its renderers are not reaped by this process, so the run's tally below counts them as others'.
          `ui: Chromium used ${(browserCpu() - browserAtStart).toFixed(1)} CPU s in all, counted below among other processes`,
        ],
      },
    ];
  } finally {
    await browser?.close();
    await stopHeadless(await server);
  }
}

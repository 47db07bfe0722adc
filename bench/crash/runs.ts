import http from 'node:http';
import type { Random } from '../../electron/hosts/demo/random.js';
import type { Run } from '../../shared/types.js';
import { call } from './http.js';
import type { StoredProgramRun, StoredRun } from './snapshot.js';
import type { Violations } from './violations.js';
import type { Life } from './server.js';

export const LAUNCHER_SOURCE = 'crash-launcher';

interface RunEventSent {
  kind: 'start' | 'heartbeat' | 'stop';
  ts: number;
  outcome: 'acked' | 'lost' | 'refused' | 'rejected';
}

/**
 * One model as a launcher sees it: started, heartbeated about every second, sometimes stopped. When
 * the server is killed, some reporters die with it (a launcher on the same machine going down too):
 * they never speak again, and their run must be closed at its last heartbeat once the stale timeout
 * passes, never later.
 */
export interface Reporter {
  model: string;
  events: RunEventSent[];
  state: 'alive' | 'dead' | 'stopped';
  /** Wall clock after which the reporter said nothing more (its death at a kill, or its stop). */
  silentFrom: number | null;
}

export interface RunCheck {
  runs: number;
  /** Runs of dead reporters found closed at their last heartbeat. */
  closedAtLastHeartbeat: number;
  /** Runs of dead reporters still open, within their stale window. */
  openWithinStale: number;
}

/** Starts, heartbeats and stops runs for a few models, as a launcher would. */
export class Launcher {
  readonly reporters: Reporter[] = [];
  private serial = 0;
  readonly stats = { events: 0, acked: 0, lost: 0, refused: 0 };

  constructor(
    private readonly seed: number,
    private readonly violations: Violations,
    private readonly alive = 3,
  ) {}

  private async send(port: number, agent: http.Agent, reporter: Reporter, kind: RunEventSent['kind']): Promise<void> {
    const event: RunEventSent = { kind, ts: Date.now(), outcome: 'lost' };
    reporter.events.push(event);
    this.stats.events++;
    const outcome = await call(port, { agent, method: 'POST', path: '/api/v1/runs', body: { model: reporter.model, event: kind, ts: event.ts, source: LAUNCHER_SOURCE }, timeoutMs: 30_000 });
    if (outcome.kind === 'answered') {
      if (outcome.reply.status >= 200 && outcome.reply.status < 300) {
        event.outcome = 'acked';
        this.stats.acked++;
        const run = JSON.parse(outcome.reply.text) as Run;
        if (kind === 'stop' && run.end !== event.ts) {
          this.violations.add(`stop-${reporter.model}`, `the stop of ${reporter.model} at ${event.ts} was answered with end ${run.end}`);
        }
      } else if (kind === 'stop' && outcome.reply.status === 404 && !reporter.events.some((sent) => sent.outcome === 'acked' && sent.kind !== 'stop')) {
        // Its start never got an answer (cut or refused by a kill) and nothing since: there may be no
        // run to stop, and saying so is right.
        event.outcome = 'rejected';
      } else {
        event.outcome = 'rejected';
        this.violations.add(`run-rejected-${reporter.model}-${event.ts}`, `a ${kind} of ${reporter.model} was answered ${outcome.reply.status}: ${outcome.reply.text.slice(0, 200)}`);
      }
    } else if (outcome.kind === 'refused') {
      event.outcome = 'refused';
      this.stats.refused++;
    } else this.stats.lost++;
  }

  /** Heartbeats every ~second until `running()` turns false; keeps `alive` reporters up. */
  async run(port: number, random: Random, running: () => boolean): Promise<void> {
    const agent = new http.Agent({ keepAlive: true });
    while (running()) {
      const tick: Promise<void>[] = [];
      for (const reporter of this.reporters) {
        if (reporter.state !== 'alive') continue;
        if (random.chance(0.08)) {
          reporter.state = 'stopped';
          reporter.silentFrom = Date.now();
          tick.push(this.send(port, agent, reporter, 'stop'));
        } else tick.push(this.send(port, agent, reporter, 'heartbeat'));
      }
      while (this.reporters.filter((reporter) => reporter.state === 'alive').length < this.alive) {
        const reporter: Reporter = { model: `crash-run-${this.seed}-${++this.serial}`, events: [], state: 'alive', silentFrom: null };
        this.reporters.push(reporter);
        tick.push(this.send(port, agent, reporter, 'start'));
      }
      await Promise.all(tick);
      const due = performance.now() + random.between(800, 1_200);
      while (running() && performance.now() < due) await new Promise((resolve) => setTimeout(resolve, Math.min(20, due - performance.now())));
    }
    agent.destroy();
  }

  /** At a kill: each live reporter dies with the server by a coin toss. */
  killed(random: Random, at: number): void {
    for (const reporter of this.reporters) {
      if (reporter.state === 'alive' && random.chance(0.5)) {
        reporter.state = 'dead';
        reporter.silentFrom = at;
      }
    }
  }

  /** The last moment a reporter that has gone silent vouched for its run (its stale window starts there). */
  lastSilentHeartbeat(): number {
    let last = 0;
    for (const reporter of this.reporters) {
      if (reporter.state === 'alive') continue;
      for (const event of reporter.events) if (event.outcome !== 'refused') last = Math.max(last, event.ts);
    }
    return last;
  }

  async stopAll(port: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true });
    const live = this.reporters.filter((reporter) => reporter.state === 'alive');
    for (const reporter of live) {
      reporter.state = 'stopped';
      reporter.silentFrom = Date.now();
    }
    await Promise.all(live.map((reporter) => this.send(port, agent, reporter, 'stop')));
    agent.destroy();
  }
}

/**
 * Runs against what the launcher said. Every start, end and last-seen time is one the launcher sent
 * (time nobody reported is never counted); a run whose reporter went silent is either still within its
 * stale window or closed exactly at its last heartbeat, never after the reporter went silent; an
 * acknowledged stop ends its run at the stop's time; a live reporter's run stays open.
 *
 * `sweptAt`: the latest moment the server surely swept stale runs (its start); runs silent for longer
 * than the stale timeout before it must be closed.
 */
export function checkRuns(launcher: Launcher, runs: readonly StoredRun[], staleMs: number, sweptAt: number, when: string, violations: Violations): RunCheck {
  const check: RunCheck = { runs: 0, closedAtLastHeartbeat: 0, openWithinStale: 0 };
  const byModel = new Map<string, StoredRun[]>();
  for (const run of runs) {
    if (run.source !== LAUNCHER_SOURCE) continue;
    const list = byModel.get(run.model);
    if (list) list.push(run);
    else byModel.set(run.model, [run]);
  }
  const reporters = new Map(launcher.reporters.map((reporter) => [reporter.model, reporter]));
  for (const model of byModel.keys()) {
    if (!reporters.has(model)) violations.add(`run-phantom-${model}`, `${when}: a run of ${model} that no launcher reported`);
  }
  for (const reporter of launcher.reporters) {
    const list = byModel.get(reporter.model) ?? [];
    const delivered = reporter.events.filter((event) => event.outcome === 'acked' || event.outcome === 'lost');
    const acked = reporter.events.filter((event) => event.outcome === 'acked');
    const beatTimes = new Set(delivered.filter((event) => event.kind !== 'stop').map((event) => event.ts));
    const stopTimes = new Set(delivered.filter((event) => event.kind === 'stop').map((event) => event.ts));
    const lastAckedBeat = Math.max(-Infinity, ...acked.filter((event) => event.kind !== 'stop').map((event) => event.ts));
    const ackedStop = acked.find((event) => event.kind === 'stop');
    const say = (key: string, message: string) => violations.add(`${key}-${reporter.model}`, `${when}: ${reporter.model} (${reporter.state}): ${message}`);
    if (list.length === 0 && acked.some((event) => event.kind !== 'stop')) say('run-missing', 'the launcher had a start or heartbeat acknowledged, but there is no run');
    for (const run of list) {
      check.runs++;
      if (!beatTimes.has(run.start)) say('run-start', `run ${run.id} starts at ${run.start}, a time the launcher never sent`);
      if (!beatTimes.has(run.lastSeenAt)) say('run-seen', `run ${run.id} was last seen at ${run.lastSeenAt}, a time the launcher never sent`);
      if (run.end === null) {
        if (reporter.state === 'alive') continue;
        if (ackedStop) say('run-open-after-stop', `run ${run.id} is open after an acknowledged stop`);
        else if (run.lastSeenAt < sweptAt - staleMs - 1_000) {
          say('run-open-stale', `run ${run.id} is still open ${sweptAt - run.lastSeenAt} ms after its last heartbeat (stale timeout ${staleMs} ms)`);
        } else check.openWithinStale++;
        continue;
      }
      if (reporter.state === 'alive') {
        say('run-closed-alive', `run ${run.id} was closed at ${run.end} while its reporter kept heartbeating`);
        continue;
      }
      if (stopTimes.has(run.end)) continue;
      if (ackedStop && run.end !== ackedStop.ts) say('run-stop-time', `run ${run.id} ends at ${run.end}, not at its acknowledged stop ${ackedStop.ts}`);
      else if (run.end !== run.lastSeenAt) say('run-end-not-last-seen', `run ${run.id} ends at ${run.end}, not at its last heartbeat ${run.lastSeenAt}`);
      else if (run.end < lastAckedBeat) say('run-end-early', `run ${run.id} ends at ${run.end}, before its last acknowledged heartbeat ${lastAckedBeat}`);
      else if (reporter.silentFrom !== null && run.end > reporter.silentFrom) say('run-end-late', `run ${run.id} ends at ${run.end}, after its reporter went silent at ${reporter.silentFrom}`);
      else check.closedAtLastHeartbeat++;
    }
  }
  return check;
}

/** Program uptime heartbeats every 15 s (electron/app/housekeeping.ts); a little slack on top. */
const PROGRAM_HEARTBEAT_MS = 15_000 + 1_000;

/**
 * ModelMeter's own uptime: one program run per life; each killed life's run closed at its last
 * heartbeat (at or before the kill, at most one heartbeat period before it); the live one open.
 */
export function checkProgramRuns(lives: readonly Life[], runs: readonly StoredProgramRun[], when: string, violations: Violations): number {
  if (runs.length !== lives.length) {
    violations.add(`program-runs-${when}`, `${when}: ${runs.length} program runs for ${lives.length} starts of the server`);
    return 0;
  }
  let checked = 0;
  lives.forEach((life, index) => {
    const run = runs[index]!;
    const say = (key: string, message: string) => violations.add(`program-${key}-${life.index}`, `${when}: program run of life ${life.index}: ${message}`);
    checked++;
    if (run.start < life.spawnedAt || run.start > life.healthyAt) say('start', `starts at ${run.start}, outside its start (${life.spawnedAt}..${life.healthyAt})`);
    if (life.stopped) {
      if (run.end === null || run.end < life.stopped.from || run.end > life.stopped.to) {
        say('stop', `ends at ${run.end}, not between the SIGTERM (${life.stopped.from}) and the exit (${life.stopped.to})`);
      }
    } else if (life.killedAt === null) {
      if (run.end !== null) say('open', `the live server's run is closed at ${run.end}`);
    } else if (run.end === null) say('left-open', 'left open after the kill');
    else if (run.end < run.start) say('end', `ends at ${run.end}, before it starts`);
    else if (run.end > life.killedAt) say('late', `ends at ${run.end}, after the kill at ${life.killedAt}: counts time nobody saw`);
    else if (run.end < Math.max(run.start, life.killedAt - PROGRAM_HEARTBEAT_MS)) say('early', `ends at ${run.end}, more than a heartbeat period before the kill at ${life.killedAt}`);
  });
  return checked;
}

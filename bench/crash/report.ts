import type { CrashResult } from './harness.js';

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const pass = (ok: boolean) => (ok ? 'ok' : 'VIOLATED');

/** The figures of a crash run, as printed by `npm run crash`. */
export function formatResult(result: CrashResult): string {
  const { ingest, runs, proxy, database } = result;
  const o = result.options;
  const lines = [
    `ModelMeter crash test: seed ${result.seed}, ${result.kills} kill -9 (${o.kills} during ingest, ${o.proxyKills} during proxied traffic), ` +
      `each ${o.minKillMs}-${o.maxKillMs} ms into its phase; ${(result.durationMs / 1000).toFixed(1)} s`,
    `  restart after kill -9 (spawn to /healthz): median ${result.restart.medianMs} ms, max ${result.restart.maxMs} ms`,
    '',
    `Ingest (${o.rate} records/s offered; 3 batch clients of 50-500 records, 2 single-record clients):`,
    `  records sent ${int(ingest.sent)}; acknowledged ${int(ingest.acked)}, found ${int(ingest.found)}, lost ${int(ingest.lost)} (must be 0), ` +
      `doubled ${int(ingest.doubled)} (must be 0), stored not as sent ${int(ingest.mismatched)} (must be 0)`,
    `  posts ${int(ingest.stats.posts)}: acknowledged ${int(ingest.stats.ackedPosts)}, cut by a kill ${int(ingest.stats.lostPosts)}, ` +
      `refused while down ${int(ingest.stats.refusedPosts)}, rejected ${int(ingest.stats.rejectedPosts)} (must be 0)`,
    `  records of cut posts never acknowledged: ${int(ingest.unknown)}, of them stored (once) ${int(ingest.unknownStored)}; ` +
      `cut posts stored in part ${int(ingest.partial)} (must be 0); stored but never sent ${int(ingest.phantom)} (must be 0)`,
    `  idempotency: ${int(ingest.stats.resentRecords)} acknowledged records re-sent, answered as duplicates; ` +
      `${int(ingest.stats.retriedLostPosts)} cut posts re-sent after the restart, ${int(ingest.stats.retriedFoundStored)} of them had been stored before the kill`,
    `  summary totals (all time) = sum of the raw rows: checked ${result.summaryChecks} times`,
    '',
    `Runs: ${runs.reporters} models reported by a launcher (${int(runs.events.events)} start/heartbeat/stop events, ${int(runs.events.lost)} cut by a kill); ` +
      `${runs.runs} runs checked, ${runs.closedAtLastHeartbeat} closed at their last heartbeat after their reporter died with the server`,
    `  program runs: ${result.programRuns} checked (each killed one closed at its last heartbeat, never after the kill)`,
    '',
    `Database after the final clean stop (exit codes ${database.cleanExitCodes.join(', ')}): integrity_check ${database.integrity}, ` +
      `foreign_key_check ${database.foreignKeyProblems} rows, rollups (minute/hour/day) = raw rows: ${pass(database.rollupsMatchRaw)}`,
    '',
    `Proxy (${o.proxyRate} requests/s, ${o.proxyConcurrency} in flight; documented loss window ${proxy.windowMs} ms, margin ${proxy.marginMs} ms):`,
    `  requests completed ${int(proxy.completed)}, recorded ${int(proxy.recorded)}; lost outside the window ${int(proxy.lostOutsideWindow)} (must be 0), ` +
      `lost inside the window ${int(proxy.lostInsideWindow)} of ${int(proxy.completedInsideWindow)} completed inside it`,
    `  max observed lateness (oldest lost completion before its kill): ${proxy.maxLostAgeMs === null ? 'none lost' : `${proxy.maxLostAgeMs.toFixed(0)} ms`}; ` +
      `doubled ${proxy.doubled} (must be 0); cut mid-flight ${int(proxy.inFlight)}, of them recorded ${int(proxy.inFlightRecorded)}; phantom ${proxy.phantom} (must be 0)`,
    '',
    result.violations.length === 0 ? 'PASS: no violation.' : `FAIL: ${result.violations.length} violation(s):`,
    ...result.violations.slice(0, 50).map((line) => `  - ${line}`),
  ];
  if (result.violations.length > 50) lines.push(`  ... and ${result.violations.length - 50} more (see the JSON result)`);
  return lines.join('\n');
}

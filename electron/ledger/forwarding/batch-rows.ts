import type { Database, Statement } from 'better-sqlite3';
import type { CircuitUpdateInput } from '../../../shared/schemas/circuit.js';
import type { ForwardedRun } from '../../../shared/schemas/forwarding.js';
import { METRICS_KEY_PATTERN } from '../../../shared/record-limits.js';
import type { RequestRecordInput } from '../../../shared/schemas/request-record.js';
import { tsOfId } from '../store/request-ids.js';
import { failureClassName } from '../store/request-writer.js';
import { storedIdSql } from '../store/stored-ids.js';

/**
 * The rows an outbox batch names, rebuilt as the records the target's POST /forward takes. Names come
 * from the dictionary tables in the same query, not from the in-memory mirrors: the rows may have been
 * written by another connection (a writer thread) that this one's mirrors have not seen.
 */
interface RequestJoined {
  id: number;
  model: string;
  api_type: string | null;
  channel: string | null;
  source: string | null;
  provider: string | null;
  project: string | null;
  branch: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number | null;
  success: number;
  failure_class: number | null;
  status_code: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  request_id: string | null;
  session_id: string | null;
  response_id: string | null;
  host: string | null;
}

interface RunJoined {
  id: number;
  model: string;
  source: string | null;
  start_at: number;
  end_at: number | null;
  last_seen_at: number;
}

interface CircuitJoined {
  metrics_key: string;
  api_type: string;
  state: 'closed' | 'open' | 'half_open';
  consecutive_failures: number;
  opened_at: number | null;
  next_retry_at: number | null;
  backoff_level: number;
  updated_at: number;
  last_success_at: number | null;
  last_failure_at: number | null;
  label: string | null;
}

export class BatchRows {
  private readonly requests: Statement<[string], RequestJoined>;
  private readonly runs: Statement<[string], RunJoined>;
  private readonly circuits: Statement<[string], CircuitJoined>;

  constructor(db: Database) {
    // Requests this ledger received from other machines (schema 8's host_id) keep their machine when
    // relayed; without that column every request is this machine's own.
    const hosts = db.prepare(`SELECT 1 FROM pragma_table_info('requests') WHERE name = 'host_id'`).get() !== undefined;
    const runHosts = db.prepare(`SELECT 1 FROM pragma_table_info('runs') WHERE name = 'host_id'`).get() !== undefined;
    this.requests = db.prepare(
      `SELECT r.id, m.name AS model, nullif(a.name, '') AS api_type, c.metrics_key AS channel, s.name AS source, p.name AS provider,
              pj.path AS project, b.name AS branch, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens,
              r.cache_write_1h_tokens, r.success, r.failure_class, r.status_code, r.latency_ms, r.ttft_ms,
              ${storedIdSql('request', 'r.id')} AS request_id, r.session_id,
              ${storedIdSql('response', 'r.id')} AS response_id, ${hosts ? 'h.name' : 'NULL'} AS host
         FROM requests r
         JOIN models m ON m.id = r.model_id
         LEFT JOIN api_types a ON a.id = r.api_type_id
         LEFT JOIN channels c ON c.id = r.channel_id
         LEFT JOIN sources s ON s.id = r.source_id
         LEFT JOIN providers p ON p.id = r.provider_id
         LEFT JOIN projects pj ON pj.id = r.project_id
         LEFT JOIN branches b ON b.id = r.branch_id
         ${hosts ? 'LEFT JOIN hosts h ON h.id = r.host_id' : ''}
        WHERE r.id IN (SELECT value FROM json_each(?))
        ORDER BY r.id`,
    );
    this.runs = db.prepare(
      `SELECT r.id, m.name AS model, s.name AS source, r.start_at, r.end_at, r.last_seen_at
         FROM runs r JOIN models m ON m.id = r.model_id LEFT JOIN sources s ON s.id = r.source_id
        WHERE r.id IN (SELECT value FROM json_each(?)) ${runHosts ? 'AND r.host_id IS NULL' : ''} ORDER BY r.id`,
    );
    this.circuits = db.prepare(
      `SELECT c.metrics_key, a.name AS api_type, cs.state, cs.consecutive_failures, cs.opened_at, cs.next_retry_at,
              cs.backoff_level, cs.updated_at, c.last_success_at, c.last_failure_at, c.label
         FROM circuit_states cs JOIN channels c ON c.id = cs.channel_id JOIN api_types a ON a.id = c.api_type_id
        WHERE cs.channel_id IN (SELECT value FROM json_each(?)) ORDER BY cs.channel_id`,
    );
  }

  /** Rows deleted since they were queued are simply absent. */
  requestRecords(ids: readonly number[], instanceId: string): RequestRecordInput[] {
    if (ids.length === 0) return [];
    return this.requests.all(JSON.stringify(ids)).map((row) => toRecord(row, instanceId));
  }

  /** This machine's runs only: a run received from another machine has no way to name its machine in a batch. */
  runRecords(ids: readonly number[]): ForwardedRun[] {
    if (ids.length === 0) return [];
    return this.runs.all(JSON.stringify(ids)).map((row) => ({
      originId: row.id,
      model: row.model,
      ...(row.source !== null ? { source: row.source } : {}),
      startAt: row.start_at,
      endAt: row.end_at,
      lastSeenAt: row.last_seen_at,
    }));
  }

  /** A circuit of a channel kept without an api type (or an odd key) cannot be named on the target: left out. */
  circuitRecords(channelIds: readonly number[]): CircuitUpdateInput[] {
    if (channelIds.length === 0) return [];
    return this.circuits
      .all(JSON.stringify(channelIds))
      .filter((row) => row.api_type !== '' && METRICS_KEY_PATTERN.test(row.metrics_key))
      .map((row) => ({
        metricsKey: row.metrics_key,
        apiType: row.api_type,
        state: row.state,
        consecutiveFailures: row.consecutive_failures,
        openedAt: row.opened_at,
        nextRetryAt: row.next_retry_at,
        backoffLevel: row.backoff_level,
        lastSuccessAt: row.last_success_at,
        lastFailureAt: row.last_failure_at,
        ...(row.label !== null ? { label: row.label } : {}),
        ts: row.updated_at,
      }));
  }
}

/** Absent rather than null: the record schema is strict and its optional fields take no null. */
function toRecord(row: RequestJoined, instanceId: string): RequestRecordInput {
  const record: RequestRecordInput = {
    ts: tsOfId(row.id),
    model: row.model,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    success: row.success === 1,
    // Stable across resends: the target keeps one copy per requestId.
    requestId: row.request_id ?? `mm:${instanceId}:${row.id}`,
  };
  if (row.api_type !== null) record.apiType = row.api_type;
  if (row.cache_write_1h_tokens !== null) record.cacheWrite1hTokens = row.cache_write_1h_tokens;
  if (row.provider !== null) record.provider = row.provider;
  const failureClass = row.success === 1 ? null : failureClassName(row.failure_class);
  if (failureClass !== null) record.failureClass = failureClass;
  if (row.status_code !== null) record.statusCode = row.status_code;
  if (row.latency_ms !== null) record.latencyMs = row.latency_ms;
  if (row.ttft_ms !== null) record.ttftMs = row.ttft_ms;
  if (row.channel !== null) record.channel = row.channel;
  if (row.source !== null) record.source = row.source;
  if (row.project !== null) record.project = row.project;
  if (row.branch !== null) record.branch = row.branch;
  if (row.session_id !== null) record.sessionId = row.session_id;
  if (row.response_id !== null) record.responseId = row.response_id;
  if (row.host !== null) record.host = row.host;
  return record;
}

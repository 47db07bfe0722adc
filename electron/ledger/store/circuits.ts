import type { Statement } from 'better-sqlite3';
import type { CircuitStateName } from '../../../shared/schemas/circuit.js';
import type { Circuit, CircuitEvent } from '../../../shared/types.js';
import type { StoreContext } from './context.js';

interface StateRow {
  channel_id: number;
  state: CircuitStateName;
  consecutive_failures: number;
  opened_at: number | null;
  next_retry_at: number | null;
  backoff_level: number;
  updated_at: number | null;
}

interface EventRow {
  id: number;
  channel_id: number;
  ts: number;
  from_state: CircuitStateName | null;
  to_state: CircuitStateName;
  reason: string | null;
}

export interface CircuitStateInput {
  state: CircuitStateName;
  consecutiveFailures?: number | undefined;
  openedAt?: number | null | undefined;
  nextRetryAt?: number | null | undefined;
  backoffLevel?: number | undefined;
  lastSuccessAt?: number | null | undefined;
  lastFailureAt?: number | null | undefined;
}

export interface Transition {
  channelId: number;
  from: CircuitStateName | null;
  to: CircuitStateName;
}

/** Channels with their breaker state; no stored state means closed. */
const CHANNEL_STATES = `SELECT c.id AS channel_id, coalesce(s.state, 'closed') AS state,
    coalesce(s.consecutive_failures, 0) AS consecutive_failures, s.opened_at, s.next_retry_at,
    coalesce(s.backoff_level, 0) AS backoff_level, s.updated_at
  FROM channels c LEFT JOIN circuit_states s ON s.channel_id = c.id`;

/**
 * Circuit-breaker states per channel (ccx's LoadCircuitStates / UpsertCircuitState) and the log of
 * every transition, which the UI draws as a timeline.
 */
export class CircuitStore {
  private readonly selectState: Statement<[number], StateRow>;
  private readonly upsert: Statement<unknown[]>;
  private readonly logEvent: Statement<[number, number, CircuitStateName | null, CircuitStateName, string | null]>;
  private readonly countStates: Statement<[], { state: CircuitStateName; n: number }>;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.selectState = db.prepare(`SELECT * FROM circuit_states WHERE channel_id = ?`);
    this.upsert = db.prepare(
      `INSERT INTO circuit_states (channel_id, state, consecutive_failures, opened_at, next_retry_at, backoff_level, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel_id) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
         opened_at = excluded.opened_at, next_retry_at = excluded.next_retry_at, backoff_level = excluded.backoff_level,
         updated_at = excluded.updated_at`,
    );
    this.logEvent = db.prepare(`INSERT INTO circuit_events (channel_id, ts, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)`);
    // Every summary asks: prepared here, once (preparing it per call cost more than running it).
    this.countStates = db.prepare(
      `SELECT coalesce(s.state, 'closed') AS state, count(*) AS n
       FROM channels c LEFT JOIN circuit_states s ON s.channel_id = c.id WHERE c.api_type_id != 0 GROUP BY 1`,
    );
  }

  /**
   * Stores a state; fields not given keep their stored value (or the closed-state default). A change
   * of state is appended to the transition log. Call inside a write transaction.
   */
  set(channelId: number, input: CircuitStateInput, ts: number, reason: string | null): Transition | null {
    const current = this.selectState.get(channelId);
    const keep = <T>(given: T | undefined, stored: T, fallback: T): T => (given !== undefined ? given : current ? stored : fallback);
    // A circuit that opens without saying when was opened now.
    const justOpened = input.state === 'open' && current?.state !== 'open';
    const opened = input.openedAt === undefined && justOpened ? ts : keep(input.openedAt, current?.opened_at ?? null, null);
    this.upsert.run(
      channelId,
      input.state,
      keep(input.consecutiveFailures, current?.consecutive_failures ?? 0, 0),
      input.state === 'closed' && input.openedAt === undefined ? null : opened,
      input.state === 'closed' && input.nextRetryAt === undefined ? null : keep(input.nextRetryAt, current?.next_retry_at ?? null, null),
      keep(input.backoffLevel, current?.backoff_level ?? 0, 0),
      ts,
    );
    if (input.lastSuccessAt !== undefined || input.lastFailureAt !== undefined) {
      this.ctx.channels.recordOutcome(channelId, input.lastSuccessAt ?? null, input.lastFailureAt ?? null);
    }
    const from = current?.state ?? null;
    if (from === input.state) return null;
    this.logEvent.run(channelId, ts, from, input.state, reason);
    return { channelId, from, to: input.state };
  }

  reset(channelId: number, ts: number): Transition | null {
    return this.set(
      channelId,
      { state: 'closed', consecutiveFailures: 0, openedAt: null, nextRetryAt: null, backoffLevel: 0 },
      ts,
      'manual reset',
    );
  }

  get(channelId: number): Circuit | undefined {
    const row = this.ctx.db.prepare<[number], StateRow>(`${CHANNEL_STATES} WHERE c.id = ?`).get(channelId);
    return row ? this.toCircuit(row) : undefined;
  }

  /**
   * Every channel with an api type, with its breaker state: a channel that never reported one is
   * closed. This also answers ccx's LoadLatestTimestamps (last success / failure per channel).
   */
  list(apiTypeId?: number): Circuit[] {
    const select = CHANNEL_STATES;
    const rows =
      apiTypeId === undefined
        ? this.ctx.db.prepare<[], StateRow>(`${select} WHERE c.api_type_id != 0`).all()
        : this.ctx.db.prepare<[number], StateRow>(`${select} WHERE c.api_type_id = ?`).all(apiTypeId);
    return rows.map((row) => this.toCircuit(row)).sort((a, b) => a.metricsKey.localeCompare(b.metricsKey) || a.apiType.localeCompare(b.apiType));
  }

  countByState(): Record<CircuitStateName, number> {
    const counts: Record<CircuitStateName, number> = { closed: 0, open: 0, half_open: 0 };
    for (const row of this.countStates.all()) counts[row.state] = row.n;
    return counts;
  }

  events(filter: { channelIds?: number[]; from?: number; to?: number; limit: number }): CircuitEvent[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.channelIds) {
      if (filter.channelIds.length === 0) return [];
      where.push(`channel_id IN (${filter.channelIds.map(() => '?').join(', ')})`);
      params.push(...filter.channelIds);
    }
    if (filter.from !== undefined) {
      where.push('ts >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('ts < ?');
      params.push(filter.to);
    }
    const sql = `SELECT * FROM circuit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
    return this.ctx.db
      .prepare<unknown[], EventRow>(sql)
      .all(...params, filter.limit)
      .map((row) => {
        const channel = this.ctx.channels.info(row.channel_id);
        return {
          id: row.id,
          metricsKey: channel?.metricsKey ?? '',
          apiType: channel?.apiType ?? '',
          ts: row.ts,
          from: row.from_state,
          to: row.to_state,
          reason: row.reason,
        };
      });
  }

  /** Removes states and transition logs of channels (ccx's DeleteCircuitStatesByMetricsKeys). */
  deleteFor(channelIds: number[]): { circuits: number; events: number } {
    let circuits = 0;
    let events = 0;
    const deleteState = this.ctx.db.prepare<[number]>(`DELETE FROM circuit_states WHERE channel_id = ?`);
    const deleteEvents = this.ctx.db.prepare<[number]>(`DELETE FROM circuit_events WHERE channel_id = ?`);
    for (const id of channelIds) {
      circuits += deleteState.run(id).changes;
      events += deleteEvents.run(id).changes;
    }
    return { circuits, events };
  }

  private toCircuit(row: StateRow): Circuit {
    const channel = this.ctx.channels.info(row.channel_id);
    return {
      metricsKey: channel?.metricsKey ?? '',
      apiType: channel?.apiType ?? '',
      baseUrl: channel?.baseUrl ?? null,
      keyMask: channel?.keyMask ?? null,
      label: channel?.label ?? null,
      state: row.state,
      consecutiveFailures: row.consecutive_failures,
      openedAt: row.opened_at,
      nextRetryAt: row.next_retry_at,
      backoffLevel: row.backoff_level,
      lastSuccessAt: channel?.lastSuccessAt ?? null,
      lastFailureAt: channel?.lastFailureAt ?? null,
      updatedAt: row.updated_at,
    };
  }
}

import type { Statement } from 'better-sqlite3';
import { ApiError } from '../../../shared/errors.js';
import type { RunEvent } from '../../../shared/schemas/run-event.js';
import type { ProgramRun, Run } from '../../../shared/types.js';
import type { StoreContext } from './context.js';
import { KeptRuns } from './kept-runs.js';

/** A row of the runs table, as the stores that read it see it. */
export interface RunRow {
  id: number;
  model_id: number;
  source_id: number | null;
  start_at: number;
  end_at: number | null;
  last_seen_at: number;
  last_heard_at: number;
  host_id: number | null;
}

interface ProgramRunRow {
  id: number;
  start_at: number;
  end_at: number | null;
  last_seen_at: number;
}

export interface RunSpan {
  modelId: number;
  /** The host that forwarded it; 0 (or absent) for this machine's runs. */
  hostId?: number;
  start: number;
  /** Null while running. */
  end: number | null;
}

/**
 * Model runs (LLM-Manager's runtime segments) and ModelMeter's own uptime. A run is open until a stop,
 * or until its reporter has been silent for the stale timeout; it is then closed at the last moment a
 * reporter vouched for it, so time nobody saw is never counted.
 */
export class RunStore {
  private readonly findOpen: Statement<[number, number | null], RunRow>;
  private readonly findById: Statement<[number], RunRow>;
  private readonly insert: Statement<[number, number | null, number, number, number]>;
  private readonly beat: Statement<[number, number, number]>;
  private readonly close: Statement<[number, number]>;
  private readonly selectStale: Statement<[number], RunRow>;
  /** The summary and history read every run in their range. */
  private readonly spansKept: KeptRuns;
  private readonly openRuns: Statement<[], RunRow>;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.findOpen = db.prepare(
      // Forwarded runs are another machine's: a local start never continues one of them.
      `SELECT * FROM runs WHERE model_id = ? AND source_id IS ? AND end_at IS NULL AND host_id IS NULL ORDER BY start_at DESC LIMIT 1`,
    );
    this.findById = db.prepare(`SELECT * FROM runs WHERE id = ?`);
    this.insert = db.prepare(
      `INSERT INTO runs (model_id, source_id, start_at, last_seen_at, last_heard_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.beat = db.prepare(`UPDATE runs SET last_seen_at = max(last_seen_at, ?), last_heard_at = ? WHERE id = ?`);
    this.close = db.prepare(`UPDATE runs SET end_at = max(start_at, ?) WHERE id = ?`);
    this.selectStale = db.prepare(`SELECT * FROM runs WHERE end_at IS NULL AND last_heard_at < ?`);
    this.spansKept = new KeptRuns(db);
    this.openRuns = db.prepare(`SELECT * FROM runs WHERE end_at IS NULL`);
  }

  /** Applies a start, heartbeat or stop; call inside a write transaction. */
  report(event: RunEvent): Run {
    const now = this.ctx.now();
    const ts = event.ts ?? now;
    const modelId = this.ctx.models.ensure(event.model);
    this.ctx.localModels.noteRun(modelId);
    const sourceId = event.source === undefined ? null : this.ctx.sources.ensure(event.source);
    let open: RunRow | undefined;
    if (event.runId !== undefined) {
      open = this.findById.get(event.runId);
      if (!open || open.model_id !== modelId) {
        throw new ApiError('not_found', `run ${event.runId} of model "${event.model}" does not exist`, [
          { field: 'runId', reason: 'no such run for this model' },
        ]);
      }
      if (open.end_at !== null) {
        if (event.event === 'stop') return this.toRun(open, now);
        throw new ApiError('conflict', `run ${event.runId} has already ended; send a start to begin a new run`);
      }
    } else {
      open = this.findOpen.get(modelId, sourceId);
    }

    switch (event.event) {
      case 'start':
      case 'heartbeat': {
        if (open) {
          this.beat.run(ts, now, open.id);
          return this.toRun(this.findById.get(open.id)!, now);
        }
        const id = Number(this.insert.run(modelId, sourceId, ts, ts, now).lastInsertRowid);
        return this.toRun(this.findById.get(id)!, now);
      }
      case 'stop': {
        if (!open) {
          throw new ApiError(
            'not_found',
            `model "${event.model}" has no running run${event.source ? ` from source "${event.source}"` : ''} to stop`,
          );
        }
        this.close.run(ts, open.id);
        return this.toRun(this.findById.get(open.id)!, now);
      }
    }
  }

  /** Closes runs whose reporter went silent; returns them. Call inside a write transaction. */
  closeStale(staleMs: number): Run[] {
    const now = this.ctx.now();
    const stale = this.selectStale.all(now - staleMs);
    for (const run of stale) this.close.run(run.last_seen_at, run.id);
    return stale.map((run) => this.toRun({ ...run, end_at: Math.max(run.start_at, run.last_seen_at) }, now));
  }

  /** Runs overlapping [from, to), oldest first; `hostId` 0 keeps this machine's own, -1 none. */
  spans(from: number, to: number, modelId?: number, hostId?: number): RunSpan[] {
    const spans: RunSpan[] = [];
    for (const [rowModelId, start, end, rowHostId] of this.spansKept.between(from, to)) {
      if (modelId !== undefined && rowModelId !== modelId) continue;
      if (hostId !== undefined && rowHostId !== hostId) continue;
      spans.push({ modelId: rowModelId, hostId: rowHostId, start, end });
    }
    return spans;
  }

  /** Models with an open run (on `hostId` alone when given: 0 is this machine). */
  runningModelIds(hostId?: number): Set<number> {
    const rows = this.openRuns.all().filter((row) => hostId === undefined || (row.host_id ?? 0) === hostId);
    return new Set(rows.map((row) => row.model_id));
  }

  list(filter: { modelId?: number; from?: number; to?: number; limit: number }): Run[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.modelId !== undefined) {
      where.push('model_id = ?');
      params.push(filter.modelId);
    }
    if (filter.to !== undefined) {
      where.push('start_at < ?');
      params.push(filter.to);
    }
    if (filter.from !== undefined) {
      where.push('(end_at IS NULL OR end_at > ?)');
      params.push(filter.from);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_at DESC, id DESC LIMIT ?`;
    const now = this.ctx.now();
    return this.ctx.db
      .prepare<unknown[], RunRow>(sql)
      .all(...params, filter.limit)
      .map((row) => this.toRun(row, now));
  }

  toRun(row: RunRow, now: number): Run {
    const end = row.end_at;
    return {
      id: row.id,
      model: this.ctx.models.nameOf(row.model_id),
      source: row.source_id === null ? null : this.ctx.sources.nameOf(row.source_id),
      start: row.start_at,
      end,
      lastSeenAt: row.last_seen_at,
      running: end === null,
      durationSeconds: Math.max(0, (end ?? now) - row.start_at) / 1000,
    };
  }
}

/**
 * ModelMeter's own uptime. A heartbeat moves last_seen_at forward while the program runs; after a
 * crash the open run is closed at its last heartbeat on the next start.
 */
export class ProgramRunStore {
  private readonly openRows: Statement<[], ProgramRunRow>;
  private readonly close: Statement<[number]>;
  private readonly insert: Statement<[number, number]>;
  private readonly beat: Statement<[number, number]>;
  private readonly closeAt: Statement<[number, number, number]>;
  private readonly listRows: Statement<[number], ProgramRunRow>;

  constructor(private readonly ctx: StoreContext) {
    const db = ctx.db;
    this.openRows = db.prepare(`SELECT * FROM program_runs WHERE end_at IS NULL`);
    this.close = db.prepare(`UPDATE program_runs SET end_at = last_seen_at WHERE id = ?`);
    this.insert = db.prepare(`INSERT INTO program_runs (start_at, last_seen_at) VALUES (?, ?)`);
    this.beat = db.prepare(`UPDATE program_runs SET last_seen_at = ? WHERE id = ? AND end_at IS NULL`);
    this.closeAt = db.prepare(`UPDATE program_runs SET end_at = ?, last_seen_at = ? WHERE id = ? AND end_at IS NULL`);
    this.listRows = db.prepare(`SELECT * FROM program_runs ORDER BY start_at DESC, id DESC LIMIT ?`);
  }

  /** Closes what a crash left open (at its last heartbeat) and opens this program's run. */
  start(): number {
    const now = this.ctx.now();
    for (const row of this.openRows.all()) this.close.run(row.id);
    return Number(this.insert.run(now, now).lastInsertRowid);
  }

  heartbeat(id: number): void {
    this.beat.run(this.ctx.now(), id);
  }

  stop(id: number): void {
    const now = this.ctx.now();
    this.closeAt.run(now, now, id);
  }

  list(limit: number): ProgramRun[] {
    const now = this.ctx.now();
    return this.listRows.all(limit).map((row) => ({
      id: row.id,
      start: row.start_at,
      end: row.end_at,
      running: row.end_at === null,
      durationSeconds: Math.max(0, (row.end_at ?? now) - row.start_at) / 1000,
    }));
  }
}

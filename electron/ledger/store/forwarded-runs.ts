import type { Statement } from 'better-sqlite3';
import type { ForwardedRun } from '../../../shared/schemas/forwarding.js';
import type { Run } from '../../../shared/types.js';
import type { StoreContext } from './context.js';
import type { RunRow, RunStore } from './runs.js';

type Row = RunRow;

/**
 * Runs another ModelMeter forwarded: identified by (host, the run's id there), so a batch sent again
 * updates the run it already made instead of adding a second one. The sender's state wins unless it
 * is older than what is stored (a late resend must not reopen a run a newer report closed). Runs
 * are swept like local ones when the sender goes quiet, and reopened by its next report.
 */
export class ForwardedRuns {
  private readonly upsert: Statement<[Record<string, number | null>], Row>;

  constructor(
    private readonly ctx: StoreContext,
    private readonly runs: RunStore,
  ) {
    this.upsert = ctx.db.prepare(
      `INSERT INTO runs (model_id, source_id, start_at, end_at, last_seen_at, last_heard_at, host_id, origin_id)
       VALUES (@model, @source, @start, @end, @lastSeen, @now, @host, @origin)
       ON CONFLICT (host_id, origin_id) WHERE host_id IS NOT NULL DO UPDATE SET
         model_id = excluded.model_id,
         source_id = excluded.source_id,
         start_at = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.start_at ELSE start_at END,
         end_at = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.end_at ELSE end_at END,
         last_seen_at = max(last_seen_at, excluded.last_seen_at),
         last_heard_at = excluded.last_heard_at
       RETURNING id, model_id, source_id, start_at, end_at, last_seen_at, last_heard_at, host_id`,
    );
  }

  /** Stores one forwarded run of `hostId`; call inside a write transaction. */
  apply(hostId: number, run: ForwardedRun): Run {
    const { ctx } = this;
    const modelId = ctx.models.ensure(run.model);
    // A model with runs is local to the machine that runs it: never priced from the cloud catalogue.
    ctx.localModels.noteRun(modelId);
    const end = run.endAt === null ? null : Math.max(run.startAt, run.endAt);
    const row = this.upsert.get({
      model: modelId,
      source: run.source ? ctx.sources.ensure(run.source) : null,
      start: run.startAt,
      end,
      lastSeen: Math.max(run.startAt, run.lastSeenAt),
      now: ctx.now(),
      host: hostId,
      origin: run.originId,
    })!;
    return this.runs.toRun(row, ctx.now());
  }
}

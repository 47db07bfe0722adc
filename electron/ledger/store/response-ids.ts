import type { Statement } from 'better-sqlite3';
import type { RequestRecord } from '../../../shared/schemas/request-record.js';
import type { StoreContext } from './context.js';
import { tsOfId } from './request-ids.js';
import { storedRowKey, storedRowSums, type RollupDelta, type StoredKeyRow, type StoredSumsRow, SUM_COUNT } from './rollups.js';
import type { StoredIds } from './stored-ids.js';

interface StoredRow extends StoredSumsRow, StoredKeyRow {
  id: number;
  branch_id: number | null;
  session_id: string | null;
}

/**
 * One upstream answer is one request, however many reporters saw it: the proxy records the response
 * id it relayed, an agent's log names the same id later (or earlier). The second report is a
 * duplicate; it may only add attribution the first lacked (project, branch, session), never change
 * tokens or cost. A project filled in adds the request to that project's rollups; the plain rollups
 * (every request, no project) already count it, so every total stays the same and "no project"
 * (plain less projects) loses it. Which response ids are stored is kept by `ids` (no unique index),
 * which the writer keeps up to date.
 */
export class ResponseIds {
  private readonly find: Statement<[number], StoredRow>;
  private readonly fill: Statement<[number | null, number | null, string | null, number]>;
  private readonly sums = new Array<number>(SUM_COUNT);

  constructor(
    private readonly ctx: StoreContext,
    private readonly ids: StoredIds,
  ) {
    this.find = ctx.db.prepare(
      `SELECT id, model_id, api_type_id, channel_id, currency_id, input_tokens, output_tokens, cache_read_tokens,
              cache_write_tokens, success, latency_ms, cost_nanos, project_id, branch_id, session_id, host_id
       FROM requests WHERE id = ?`,
    );
    this.fill = ctx.db.prepare(
      `UPDATE requests SET project_id = coalesce(project_id, ?), branch_id = coalesce(branch_id, ?), session_id = coalesce(session_id, ?)
       WHERE id = ?`,
    );
  }

  /**
   * Whether `record.responseId` is already stored; when it is, fills in the attribution the stored row
   * lacks (adding the rollup move to `delta`, and telling `projectSeen` the project and the row's time).
   * Call inside a write transaction.
   */
  absorb(record: RequestRecord, delta: RollupDelta, projectSeen: (projectId: number, ts: number) => void): boolean {
    const id = this.ids.rowOf(record.responseId!);
    if (id === undefined) return false;
    const row = this.find.get(id)!;
    const { ctx } = this;
    const projectId = row.project_id === null && record.project ? ctx.projects.ensure(record.project) : null;
    const branchId = row.branch_id === null && record.branch ? ctx.branches.ensure(record.branch) : null;
    const sessionId = row.session_id === null ? (record.sessionId ?? null) : null;
    if (projectId === null && branchId === null && sessionId === null) return true;
    this.fill.run(projectId, branchId, sessionId, row.id);
    if (projectId !== null) {
      const ts = tsOfId(row.id);
      // The row keeps the machine that recorded it first; only its project set changes here.
      delta.add(ts, { ...storedRowKey(row), projectId }, storedRowSums(this.sums, row), 1, 'project');
      projectSeen(projectId, ts);
    }
    return true;
  }
}

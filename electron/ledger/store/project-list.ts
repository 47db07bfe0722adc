import type { Statement } from 'better-sqlite3';
import { projectName } from '../../../shared/project-name.js';
import type { ProjectInfo } from '../../../shared/types.js';
import { fromNanos } from '../pricing/rules.js';
import type { StoreContext } from './context.js';
import { PROJECTS } from './rollups.js';

interface Row {
  project_id: number;
  path: string;
  first_seen: number | null;
  last_seen: number | null;
  currency_id: number;
  requests: number;
  cost_nanos: number;
}

/**
 * The projects the ledger holds requests for, most recently seen first: what filters offer. Totals
 * come from the day rollups (a few rows per project and day), never from the request table.
 */
export class ProjectList {
  private readonly select: Statement<[], Row>;

  constructor(private readonly ctx: StoreContext) {
    this.select = ctx.db.prepare(
      `SELECT r.project_id, p.path, p.first_seen, p.last_seen, r.currency_id, sum(r.requests) AS requests, sum(r.cost_nanos) AS cost_nanos
       FROM ${PROJECTS.totals.rollup_day} r JOIN projects p ON p.id = r.project_id
       GROUP BY r.project_id, r.currency_id`,
    );
  }

  list(limit: number): ProjectInfo[] {
    const byId = new Map<number, ProjectInfo>();
    for (const row of this.select.all()) {
      let info = byId.get(row.project_id);
      if (!info) {
        info = { project: row.path, name: projectName(row.path), firstSeen: row.first_seen, lastSeen: row.last_seen, requests: 0, cost: {} };
        byId.set(row.project_id, info);
      }
      info.requests += row.requests;
      if (row.currency_id !== 0) {
        const currency = this.ctx.currencies.nameOf(row.currency_id);
        info.cost[currency] = fromNanos(row.cost_nanos);
      }
    }
    return [...byId.values()]
      .filter((info) => info.requests > 0)
      .sort((a, b) => (b.lastSeen ?? 0) - (a.lastSeen ?? 0) || a.project.localeCompare(b.project))
      .slice(0, limit);
  }
}

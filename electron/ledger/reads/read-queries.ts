import { LOCAL_HOST } from '../../../shared/local-host.js';
import type { HistoryBucket, RequestPage } from '../../../shared/types.js';
import { normalizeBaseUrl } from '../channels/metrics-key.js';
import { exportPage } from '../export/export-page.js';
import type { StoreContext } from '../store/context.js';
import type { HistoryGrid } from '../store/history-grid.js';
import type { Ledger } from '../store/ledger.js';
import type { HistoryRequest } from '../store/reports.js';
import type { TimeRange } from '../time/ranges.js';
import type { HistoryArgs, ReadCall, ReadResults, RequestsArgs, SummaryCore } from './protocol.js';

/**
 * The heavy reads of the data API, after the service has validated the query and resolved its range:
 * the same code answers on the main thread (inline) and in the read worker (electron/ledger/reads/), so both
 * give the same answer over the same data. Names are resolved to ids here, against the mirrors of the
 * connection that reads.
 */

/** Answers one read call from `ledger`, whichever thread it lives on. */
export function answerCall<C extends ReadCall>(ledger: Ledger, call: C): ReadResults[C['op']] {
  const answer = (): ReadResults[ReadCall['op']] => {
    switch (call.op) {
      case 'summary':
        return readSummary(ledger, call.range, call.project, call.host);
      case 'history':
        // The whole answer, shaped here so the worker can serialise it as it is sent.
        return { from: call.args.range.from, to: call.args.range.to, interval: call.args.interval, buckets: readHistory(ledger, call.args) };
      case 'requests':
        return readRequests(ledger, call.args);
      case 'projects':
        return ledger.projects.list(call.limit);
      case 'export':
        return exportPage(ledger, call.args);
    }
  };
  return answer() as ReadResults[C['op']];
}

export function readSummary(ledger: Ledger, range: TimeRange, project?: string, host?: string): SummaryCore {
  const filter = {
    ...(project === undefined ? {} : { projectId: projectIdOf(ledger.ctx, project) }),
    ...(host === undefined ? {} : { hostId: hostIdOf(ledger.ctx, host) }),
  };
  return ledger.reports.summary(range, ledger.circuits.countByState(), filter);
}

/** A host's id: 0 for this machine (LOCAL_HOST), -1 (matches nothing) for one that never forwarded here. */
export function hostIdOf(ctx: StoreContext, host: string): number {
  return host === LOCAL_HOST ? 0 : (ctx.hosts.find(host) ?? -1);
}

/** A project's id; -1 (matches nothing) for one never recorded. */
export function projectIdOf(ctx: StoreContext, project: string): number {
  return ctx.projects.find(project) ?? -1;
}

export function readHistory(ledger: Ledger, args: HistoryArgs): HistoryBucket[] {
  return ledger.reports.history(historyRequest(ledger.ctx, args));
}

/** The history summed, unshaped: the read worker writes its JSON straight from it (history-json.ts). */
export function readHistoryGrid(ledger: Ledger, args: HistoryArgs): HistoryGrid {
  return ledger.reports.historyGrid(historyRequest(ledger.ctx, args));
}

/** The call's names resolved to ids against `ctx`'s mirrors. */
function historyRequest(ctx: StoreContext, args: HistoryArgs): HistoryRequest {
  const filter: { modelId?: number; channelIds?: number[]; apiTypeId?: number; projectId?: number; hostId?: number } = {};
  if (args.project !== undefined) filter.projectId = projectIdOf(ctx, args.project);
  if (args.host !== undefined) filter.hostId = hostIdOf(ctx, args.host);
  let unknown = false;
  if (args.model !== undefined) {
    const id = ctx.models.find(args.model);
    if (id === undefined) unknown = true;
    else filter.modelId = id;
  }
  if (args.apiType !== undefined) {
    const id = ctx.apiTypes.find(args.apiType);
    if (id === undefined) unknown = true;
    else filter.apiTypeId = id;
  }
  if (args.metricsKey !== undefined) filter.channelIds = channelIdsOf(ctx, args.metricsKey, args.apiType);
  if (args.baseUrl !== undefined) {
    const atUrl = ctx.channels.idsAtBaseUrl(normalizeBaseUrl(args.baseUrl));
    filter.channelIds = filter.channelIds ? filter.channelIds.filter((id) => atUrl.includes(id)) : atUrl;
  }
  // Runs belong to no channel, api type or project.
  const includeRuntime = filter.channelIds === undefined && args.apiType === undefined && args.project === undefined;
  // An unknown model or api type has no requests: same buckets, all zero.
  if (unknown) filter.channelIds = [];
  return {
    range: args.range,
    intervalSeconds: args.interval,
    filter,
    includeRuntime: includeRuntime && !unknown,
    groupBy: args.groupBy ?? null,
  };
}

export function readRequests(ledger: Ledger, args: RequestsArgs): RequestPage {
  const ctx = ledger.ctx;
  const filter: { modelId?: number; apiTypeId?: number; channelIds?: number[]; projectId?: number; hostId?: number; from: number; to: number } = { from: args.from, to: args.to };
  if (args.host !== undefined) {
    const id = hostIdOf(ctx, args.host);
    if (id === -1) return { requests: [], nextBefore: null };
    filter.hostId = id;
  }
  if (args.project !== undefined) {
    const id = ctx.projects.find(args.project);
    if (id === undefined) return { requests: [], nextBefore: null };
    filter.projectId = id;
  }
  if (args.model !== undefined) {
    const id = ctx.models.find(args.model);
    if (id === undefined) return { requests: [], nextBefore: null };
    filter.modelId = id;
  }
  if (args.apiType !== undefined) {
    const id = ctx.apiTypes.find(args.apiType);
    if (id === undefined) return { requests: [], nextBefore: null };
    filter.apiTypeId = id;
  }
  if (args.metricsKey !== undefined) filter.channelIds = channelIdsOf(ctx, args.metricsKey, args.apiType);
  const requests = ledger.requestLog.page(filter, args.limit + 1, args.before === undefined ? undefined : Number(args.before));
  const more = requests.length > args.limit;
  if (more) requests.pop();
  return { requests, nextBefore: more ? requests[requests.length - 1]!.id : null };
}

/** Channel ids of a metricsKey, in one api type or all of them. */
export function channelIdsOf(ctx: StoreContext, metricsKey: string, apiType: string | undefined): number[] {
  if (apiType !== undefined) {
    const apiTypeId = ctx.apiTypes.find(apiType);
    const id = apiTypeId === undefined ? undefined : ctx.channels.find(metricsKey, apiTypeId);
    return id === undefined ? [] : [id];
  }
  return ctx.channels.idsOfKey(metricsKey);
}

import type { ExportRow, RequestRow } from '../../../shared/types.js';
import { fromNanos } from '../pricing/rules.js';
import type { Ledger } from '../store/ledger.js';
import { runtimeCells } from '../store/runtime.js';

export interface ExportRange {
  from: number;
  to: number;
  /** -1 matches nothing (an unknown model). */
  modelId?: number;
  /** -1 matches nothing (an unknown project); runs, having no project, are left out when set. */
  projectId?: number;
  /** 0 = this machine's own records, -1 matches nothing; runs are those of that machine. */
  hostId?: number;
}

/** Where a proxied request's source names its route (electron/sources/proxy/exchange.ts). */
const PROXY_SOURCE = 'proxy:';

/**
 * Where an export goes on: the request log after the request with id `after` (null: from the start of
 * the range), or the runs, which follow the last request.
 */
export type ExportCursor = { phase: 'requests'; after: number | null } | { phase: 'runs' };

export const EXPORT_START: ExportCursor = { phase: 'requests', after: null };

export interface ExportRowPage {
  rows: ExportRow[];
  /** Where the next page starts; null after the last. */
  next: ExportCursor | null;
}

/**
 * One page of an export from `cursor`: up to `limit` requests of the range, oldest first (the request
 * log read from the id after the last one sent, so a page costs the same deep into a month as at its
 * start), then the runs of the range in one page, each clipped to it with its hourly cost (a run whose
 * model has no hourly price has none). Run costs are rounded per run where the summary rounds per
 * model, so totals agree to within a nano-unit per run. Each page is read on its own: requests
 * recorded during an export land in it if they fall in its range and after the page being read.
 */
export function exportRowPage(ledger: Ledger, range: ExportRange, cursor: ExportCursor, limit: number): ExportRowPage {
  const runsLeftOut = range.modelId === -1 || range.hostId === -1 || range.projectId !== undefined;
  if (cursor.phase === 'runs') return { rows: runsLeftOut ? [] : runRows(ledger, range), next: null };
  const labels = new ChannelLabels(ledger);
  const pages = ledger.requestLog.iterate(
    {
      from: range.from,
      to: range.to,
      ...(range.modelId === undefined ? {} : { modelId: range.modelId }),
      ...(range.projectId === undefined ? {} : { projectId: range.projectId }),
      ...(range.hostId === undefined ? {} : { hostId: range.hostId }),
    },
    limit,
    cursor.after ?? undefined,
  );
  const requests: RequestRow[] = pages.next().value ?? [];
  pages.return(undefined);
  const rows = requests.map((row) => requestRow(row, labels));
  if (requests.length === limit) return { rows, next: { phase: 'requests', after: Number(requests[requests.length - 1]!.id) } };
  return { rows, next: runsLeftOut ? null : { phase: 'runs' } };
}

/**
 * Every field written out, not spread: a spread of the request row's 23 fields made an object V8 keeps
 * in dictionary mode, 4 µs a row plus the garbage collector's work, on the event loop.
 */
function requestRow(row: RequestRow, labels: ChannelLabels): ExportRow {
  return {
    id: row.id,
    ts: row.ts,
    model: row.model,
    apiType: row.apiType,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cacheReadTokens: row.cacheReadTokens,
    cacheWriteTokens: row.cacheWriteTokens,
    success: row.success,
    failureClass: row.failureClass,
    statusCode: row.statusCode,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
    channel: row.channel,
    source: row.source,
    requestId: row.requestId,
    cost: row.cost,
    currency: row.currency,
    project: row.project,
    branch: row.branch,
    sessionId: row.sessionId,
    responseId: row.responseId,
    host: row.host,
    kind: 'request',
    runtimeMs: null,
    channelLabel: row.channel === null ? null : labels.of(row.channel, row.apiType),
    route: row.source?.startsWith(PROXY_SOURCE) ? row.source.slice(PROXY_SOURCE.length) : null,
  };
}

function runRows(ledger: Ledger, range: ExportRange): ExportRow[] {
  const ctx = ledger.ctx;
  const now = ctx.now();
  const spec = { from: range.from, to: range.to, starts: [range.from], widthMs: null };
  const versionsOf = (modelId: number) => ctx.prices.versions(modelId);
  const spans = ledger.runs.spans(range.from, range.to, range.modelId, range.hostId).sort((a, b) => a.start - b.start || a.modelId - b.modelId);
  const rows: ExportRow[] = [];
  for (const span of spans) {
    const [cell] = runtimeCells([span], spec, now, true, versionsOf);
    if (!cell || cell.runtimeMs <= 0) continue;
    const ts = Math.max(span.start, range.from);
    const base: ExportRow = {
      id: `run-${span.modelId}-${span.start}`,
      ts,
      model: ctx.models.nameOf(span.modelId),
      apiType: null,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      success: true,
      failureClass: null,
      statusCode: null,
      latencyMs: null,
      ttftMs: null,
      channel: null,
      source: null,
      requestId: null,
      cost: null,
      currency: null,
      project: null,
      branch: null,
      sessionId: null,
      responseId: null,
      host: span.hostId ? ctx.hosts.nameOf(span.hostId) : null,
      kind: 'run',
      runtimeMs: cell.runtimeMs,
      channelLabel: null,
      route: null,
    };
    const costs = [...cell.costNanos];
    if (costs.length === 0) rows.push(base);
    // A run across a change of hourly price into another currency: a row per currency, its runtime on the first.
    costs.forEach(([currencyId, nanos], index) =>
      rows.push({ ...base, ...(index > 0 ? { id: `${base.id}-${index}`, runtimeMs: 0 } : {}), cost: fromNanos(nanos), currency: ctx.currencies.nameOf(currencyId) }),
    );
  }
  return rows;
}

/** Channel names for the export, looked up once per channel. */
class ChannelLabels {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly ledger: Ledger) {}

  of(metricsKey: string, apiType: string | null): string | null {
    const key = `${metricsKey}|${apiType ?? ''}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    const ctx = this.ledger.ctx;
    // Api type id 0 is a channel named without an api type; any api type's entry describes the same endpoint and key.
    const apiTypeId = apiType === null ? 0 : ctx.apiTypes.find(apiType);
    const ids = [apiTypeId === undefined ? undefined : ctx.channels.find(metricsKey, apiTypeId), ...ctx.channels.idsOfKey(metricsKey)];
    let label: string | null = null;
    for (const id of ids) {
      if (id === undefined) continue;
      const info = ctx.channels.info(id);
      label = info?.label ?? (info?.baseUrl ? `${info.baseUrl}${info.keyMask ? ` (${info.keyMask})` : ''}` : null);
      if (label !== null) break;
    }
    this.cache.set(key, label);
    return label;
  }
}

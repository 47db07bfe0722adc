import type { Statement } from 'better-sqlite3';
import type { FailureClass } from '../../../shared/schemas/request-record.js';
import { fromNanos } from '../../ledger/pricing/rules.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import { firstIdAt } from '../../ledger/store/request-ids.js';
import { failureClassName } from '../../ledger/store/request-writer.js';

/** One stored request, as the OTLP instruments record it. */
export interface RequestSample {
  model: string;
  provider: string | null;
  apiType: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  success: boolean;
  failureClass: FailureClass | null;
  latencyMs: number | null;
  cost: number | null;
  currency: string | null;
}

interface Row {
  model_id: number;
  provider_id: number | null;
  api_type_id: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  success: number;
  failure_class: number | null;
  latency_ms: number | null;
  cost_nanos: number | null;
  currency_id: number | null;
}

/** How far back a request's own time may lie when it is stored and still be pushed (a long stream's start). */
export const FEED_LOOKBACK_MS = 10 * 60_000;

/**
 * The requests stored since the feed started, read from the ledger in batches, each exactly once.
 * A request id encodes the request's time, not its arrival, so a request reported late lands below
 * newer ones: the feed looks back FEED_LOOKBACK_MS and remembers the ids it handed out in that window.
 * Rows timed earlier than that when they are stored (imports, backfills) are history, not traffic,
 * and are not pushed. Ingest never waits for the feed: it only reads, after the writes committed.
 */
export class RequestFeed {
  private readonly idsFrom: Statement<[number], { id: number }>;
  private readonly row: Statement<[number], Row>;
  private seen = new Set<number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly lookbackMs = FEED_LOOKBACK_MS,
  ) {
    this.idsFrom = ledger.db.prepare(`SELECT id FROM requests WHERE id >= ? ORDER BY id`);
    this.row = ledger.db.prepare(
      `SELECT model_id, provider_id, api_type_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
              success, failure_class, latency_ms, cost_nanos, currency_id
         FROM requests WHERE id = ?`,
    );
  }

  /** What is stored now is the past: only requests stored from here on are handed out. */
  start(): void {
    this.seen = new Set(this.idsFrom.all(this.floor()).map((row) => row.id));
  }

  /** The requests stored since the last call, oldest first. */
  drain(): RequestSample[] {
    const floor = this.floor();
    const ctx = this.ledger.ctx;
    const samples: RequestSample[] = [];
    const window = new Set<number>();
    for (const { id } of this.idsFrom.all(floor)) {
      window.add(id);
      if (this.seen.has(id)) continue;
      const row = this.row.get(id);
      if (!row) continue;
      samples.push({
        model: ctx.models.nameOf(row.model_id),
        provider: row.provider_id === null ? null : ctx.providers.nameOf(row.provider_id),
        apiType: row.api_type_id === null ? null : ctx.apiTypes.nameOf(row.api_type_id),
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        cacheReadTokens: row.cache_read_tokens,
        cacheWriteTokens: row.cache_write_tokens,
        success: row.success === 1,
        failureClass: failureClassName(row.failure_class),
        latencyMs: row.latency_ms,
        cost: row.cost_nanos === null ? null : fromNanos(row.cost_nanos),
        currency: row.currency_id === null ? null : ctx.currencies.nameOf(row.currency_id),
      });
    }
    // Ids that slid out of the window can never be read again: forget them.
    this.seen = window;
    return samples;
  }

  private floor(): number {
    return firstIdAt(Math.max(0, this.ledger.ctx.now() - this.lookbackMs));
  }
}

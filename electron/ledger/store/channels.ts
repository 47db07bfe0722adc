import type { Database, Statement } from 'better-sqlite3';
import type { Dictionary } from './dictionaries.js';

export interface ChannelInfo {
  id: number;
  metricsKey: string;
  apiTypeId: number;
  apiType: string;
  baseUrl: string | null;
  keyMask: string | null;
  label: string | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
}

interface ChannelRow {
  id: number;
  metrics_key: string;
  api_type_id: number;
  base_url: string | null;
  key_mask: string | null;
  label: string | null;
  last_success_at: number | null;
  last_failure_at: number | null;
}

/**
 * Channels are (metricsKey, apiType) pairs. Requests refer to them by id; api type id 0 stands for
 * requests that named a channel but no api type.
 */
export class ChannelDirectory {
  /** Channel ids by api type id, then metricsKey (no string built per request on the ingest path). */
  private readonly ids = new Map<number, Map<string, number>>();
  private readonly keys = new Map<number, string>();
  private readonly selectKey: Statement<[string, number], { id: number }>;
  private readonly selectId: Statement<[number], ChannelRow>;
  private readonly insert: Statement<[string, number, string | null, string | null, string | null]>;
  private readonly describeUpdate: Statement<[string | null, string | null, string | null, number]>;
  private readonly touch: Statement<[number | null, number | null, number]>;

  constructor(
    private readonly db: Database,
    private readonly apiTypes: Dictionary,
  ) {
    this.selectKey = db.prepare(`SELECT id FROM channels WHERE metrics_key = ? AND api_type_id = ?`);
    this.selectId = db.prepare(`SELECT * FROM channels WHERE id = ?`);
    this.insert = db.prepare(`INSERT INTO channels (metrics_key, api_type_id, base_url, key_mask, label) VALUES (?, ?, ?, ?, ?)`);
    this.describeUpdate = db.prepare(
      `UPDATE channels SET base_url = coalesce(?, base_url), key_mask = coalesce(?, key_mask), label = coalesce(?, label) WHERE id = ?`,
    );
    this.touch = db.prepare(
      `UPDATE channels SET last_success_at = nullif(max(coalesce(last_success_at, 0), coalesce(?, 0)), 0),
                           last_failure_at = nullif(max(coalesce(last_failure_at, 0), coalesce(?, 0)), 0)
       WHERE id = ?`,
    );
  }

  find(metricsKey: string, apiTypeId: number): number | undefined {
    const cached = this.ids.get(apiTypeId)?.get(metricsKey);
    if (cached !== undefined) return cached;
    const row = this.selectKey.get(metricsKey, apiTypeId);
    if (row) this.remember(metricsKey, apiTypeId, row.id);
    return row?.id;
  }

  private remember(metricsKey: string, apiTypeId: number, id: number): void {
    let byKey = this.ids.get(apiTypeId);
    if (!byKey) this.ids.set(apiTypeId, (byKey = new Map()));
    byKey.set(metricsKey, id);
  }

  /** Grows whenever a channel may have learnt its base URL, so answers drawn from it can be asked again. */
  described = 0;

  ensure(metricsKey: string, apiTypeId: number, meta?: { baseUrl?: string | null; keyMask?: string | null; label?: string | null }): number {
    if (meta?.baseUrl) this.described++;
    const found = this.find(metricsKey, apiTypeId);
    if (found !== undefined) {
      if (meta) this.describeUpdate.run(meta.baseUrl ?? null, meta.keyMask ?? null, meta.label ?? null, found);
      return found;
    }
    const id = Number(this.insert.run(metricsKey, apiTypeId, meta?.baseUrl ?? null, meta?.keyMask ?? null, meta?.label ?? null).lastInsertRowid);
    this.remember(metricsKey, apiTypeId, id);
    return id;
  }

  info(id: number): ChannelInfo | undefined {
    const row = this.selectId.get(id);
    if (!row) return undefined;
    return {
      id: row.id,
      metricsKey: row.metrics_key,
      apiTypeId: row.api_type_id,
      apiType: row.api_type_id === 0 ? '' : this.apiTypes.nameOf(row.api_type_id),
      baseUrl: row.base_url,
      keyMask: row.key_mask,
      label: row.label,
      lastSuccessAt: row.last_success_at,
      lastFailureAt: row.last_failure_at,
    };
  }

  /** Channel ids of a metricsKey across every api type. */
  idsOfKey(metricsKey: string): number[] {
    return this.selectIds(`metrics_key = ?`, metricsKey);
  }

  /** Channel ids at an endpoint (normalized base URL), as registered by circuit reports. */
  idsAtBaseUrl(baseUrl: string): number[] {
    return this.selectIds(`base_url = ?`, baseUrl);
  }

  idsOfApiType(apiTypeId: number): number[] {
    return this.selectIds(`api_type_id = ?`, apiTypeId);
  }

  /** The metricsKey of a channel known by endpoint and key mask (a gateway that will not send the key). */
  keyByMask(baseUrl: string, keyMask: string, apiTypeId: number): string | undefined {
    return this.db
      .prepare<[string, string, number], { metrics_key: string }>(
        `SELECT metrics_key FROM channels WHERE base_url = ? AND key_mask = ? AND api_type_id = ?`,
      )
      .get(baseUrl, keyMask, apiTypeId)?.metrics_key;
  }

  private selectIds(where: string, value: string | number): number[] {
    return this.db
      .prepare<[string | number], { id: number }>(`SELECT id FROM channels WHERE ${where}`)
      .all(value)
      .map((row) => row.id);
  }

  /** The metricsKey of a channel id (cached: it never changes). */
  metricsKeyOf(id: number): string | undefined {
    const cached = this.keys.get(id);
    if (cached !== undefined) return cached;
    const key = this.selectId.get(id)?.metrics_key;
    if (key !== undefined) this.keys.set(id, key);
    return key;
  }

  /** Keeps the latest success and failure times over all history (ccx's LoadLatestTimestamps). */
  recordOutcome(id: number, lastSuccess: number | null, lastFailure: number | null): void {
    this.touch.run(lastSuccess, lastFailure, id);
  }

  forget(): void {
    this.ids.clear();
    this.keys.clear();
  }
}

import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, applied in order, all pending ones in one transaction. A database whose
 * user_version is above the last step was written by a newer ModelMeter and is refused untouched.
 *
 * Layout notes (why, not what):
 * - requests.id encodes the time: id = ts_ms * 1024 + seq. Time ranges are rowid ranges, so the
 *   biggest table needs no time index and stores no ts column (disk per request, product target P5).
 * - Names (models, sources, api types, currencies) are rows in dictionary tables, never identifiers.
 * - rollup_minute / rollup_hour / rollup_day hold the same sums at three grains; they are written in
 *   the same transaction as the raw rows and are what long-range queries read.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

const ROLLUP_COLUMNS = `
  bucket INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  channel_id INTEGER NOT NULL,
  api_type_id INTEGER NOT NULL,
  currency_id INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_nanos INTEGER NOT NULL,
  latency_ms_sum INTEGER NOT NULL,
  latency_count INTEGER NOT NULL,
  PRIMARY KEY (bucket, model_id, channel_id, api_type_id, currency_id)`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

        CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL) STRICT;
        CREATE TABLE sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
        CREATE TABLE api_types (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
        CREATE TABLE currencies (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE) STRICT;

        CREATE TABLE channels (
          id INTEGER PRIMARY KEY,
          metrics_key TEXT NOT NULL,
          api_type_id INTEGER NOT NULL REFERENCES api_types(id),
          base_url TEXT,
          key_mask TEXT,
          label TEXT,
          last_success_at INTEGER,
          last_failure_at INTEGER,
          UNIQUE (metrics_key, api_type_id)
        ) STRICT;

        CREATE TABLE requests (
          id INTEGER PRIMARY KEY,
          model_id INTEGER NOT NULL,
          api_type_id INTEGER,
          channel_id INTEGER,
          source_id INTEGER,
          input_tokens INTEGER NOT NULL,
          output_tokens INTEGER NOT NULL,
          cache_read_tokens INTEGER NOT NULL,
          cache_write_tokens INTEGER NOT NULL,
          success INTEGER NOT NULL,
          failure_class INTEGER,
          status_code INTEGER,
          latency_ms INTEGER,
          ttft_ms INTEGER,
          cost_nanos INTEGER,
          currency_id INTEGER,
          request_id TEXT
        ) STRICT;
        CREATE UNIQUE INDEX requests_request_id ON requests(request_id) WHERE request_id IS NOT NULL;

        CREATE TABLE rollup_minute (${ROLLUP_COLUMNS}) STRICT, WITHOUT ROWID;
        CREATE TABLE rollup_hour (${ROLLUP_COLUMNS}) STRICT, WITHOUT ROWID;
        CREATE TABLE rollup_day (${ROLLUP_COLUMNS}) STRICT, WITHOUT ROWID;
        -- Per-model lookups (request log paging, deletes, re-pricing) find their hours here.
        CREATE INDEX rollup_hour_model ON rollup_hour(model_id, bucket);

        CREATE TABLE runs (
          id INTEGER PRIMARY KEY,
          model_id INTEGER NOT NULL REFERENCES models(id),
          source_id INTEGER,
          start_at INTEGER NOT NULL,
          end_at INTEGER,
          last_seen_at INTEGER NOT NULL,
          last_heard_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX runs_model_start ON runs(model_id, start_at);
        CREATE INDEX runs_start ON runs(start_at);
        CREATE INDEX runs_open ON runs(model_id, source_id) WHERE end_at IS NULL;

        CREATE TABLE program_runs (
          id INTEGER PRIMARY KEY,
          start_at INTEGER NOT NULL,
          end_at INTEGER,
          last_seen_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE circuit_states (
          channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
          state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
          consecutive_failures INTEGER NOT NULL DEFAULT 0,
          opened_at INTEGER,
          next_retry_at INTEGER,
          backoff_level INTEGER NOT NULL DEFAULT 0,
          updated_at INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE circuit_events (
          id INTEGER PRIMARY KEY,
          channel_id INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          from_state TEXT,
          to_state TEXT NOT NULL,
          reason TEXT
        ) STRICT;
        CREATE INDEX circuit_events_channel_ts ON circuit_events(channel_id, ts);
        CREATE INDEX circuit_events_ts ON circuit_events(ts);

        CREATE TABLE price_versions (
          id INTEGER PRIMARY KEY,
          model_id INTEGER NOT NULL REFERENCES models(id),
          effective_from INTEGER NOT NULL,
          currency_id INTEGER NOT NULL REFERENCES currencies(id),
          method TEXT NOT NULL CHECK (method IN ('tokens', 'hourly', 'none')),
          tiers TEXT,
          hourly_nanos INTEGER,
          created_at INTEGER NOT NULL,
          UNIQUE (model_id, effective_from)
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    name: 'api type 0 for channels named without an api type',
    up(db) {
      // channels.api_type_id references api_types; a request that names a channel but no api type is
      // kept under api type id 0 (see ChannelDirectory), so that id must exist. '' is never a valid
      // api type name, so it cannot clash with a reported one.
      db.exec(`INSERT OR IGNORE INTO api_types (id, name) VALUES (0, '')`);
    },
  },
  {
    version: 3,
    name: 'provider, 1-hour cache writes and price source of each request',
    up(db) {
      // Added columns are NULL on existing rows without rewriting the table. price_source_id is NULL
      // for a cost from the user's own version (or no cost); otherwise it names the catalogue entry
      // and package version the cost was taken from, so a later catalogue never rewrites it unseen.
      db.exec(`
        CREATE TABLE providers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
        CREATE TABLE price_sources (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
        ALTER TABLE requests ADD COLUMN provider_id INTEGER;
        ALTER TABLE requests ADD COLUMN cache_write_1h_tokens INTEGER;
        ALTER TABLE requests ADD COLUMN price_source_id INTEGER;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class NewerSchemaError extends Error {
  constructor(readonly found: number) {
    super(
      `This database was written by a newer ModelMeter (schema version ${found}; this build knows up to ${SCHEMA_VERSION}). ` +
        'It was left untouched: update ModelMeter or choose another data folder.',
    );
    this.name = 'NewerSchemaError';
  }
}

/** Applies pending migrations in one transaction; returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const last = migrations[migrations.length - 1]?.version ?? 0;
  if (current > last) throw new NewerSchemaError(current);
  const pending = migrations.filter((step) => step.version > current);
  if (pending.length === 0) return [];
  db.transaction(() => {
    for (const step of pending) {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }
  }).immediate();
  return pending.map((step) => step.version);
}

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
 *   the same transaction as the raw rows and are what long-range queries read. The rollup_project_*
 *   tables (version 4) sum again only the requests that name a project (see rollups.ts).
 */

/** The requests table's first columns, as version 1 made them (migration 17 keeps them, in order). */
const REQUEST_COLUMNS_V1 = `          id INTEGER PRIMARY KEY,
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
          currency_id INTEGER,`;

/**
 * catalogue_priced follows every delete and re-pricing of a catalogue-priced request (migration 11;
 * migration 17 recreates them on the rewritten table). The text must not change.
 */
const CATALOGUE_PRICED_TRIGGERS = `
        CREATE TRIGGER catalogue_priced_delete AFTER DELETE ON requests WHEN old.price_source_id IS NOT NULL BEGIN
          UPDATE catalogue_priced SET requests = requests - 1, latest_id = CASE WHEN latest_id = old.id THEN old.id - 1 ELSE latest_id END WHERE model_id = old.model_id AND price_source_id = old.price_source_id;
          DELETE FROM catalogue_priced WHERE model_id = old.model_id AND price_source_id = old.price_source_id AND requests <= 0;
        END;
        CREATE TRIGGER catalogue_priced_update AFTER UPDATE OF model_id, price_source_id ON requests
          WHEN old.price_source_id IS NOT new.price_source_id OR old.model_id IS NOT new.model_id BEGIN
          UPDATE catalogue_priced SET requests = requests - 1, latest_id = CASE WHEN latest_id = old.id THEN old.id - 1 ELSE latest_id END WHERE model_id = old.model_id AND price_source_id = old.price_source_id;
          DELETE FROM catalogue_priced WHERE model_id = old.model_id AND price_source_id = old.price_source_id AND requests <= 0;
          INSERT INTO catalogue_priced (model_id, price_source_id, requests, latest_id)
            SELECT new.model_id, new.price_source_id, 1, new.id WHERE new.price_source_id IS NOT NULL
            ON CONFLICT (model_id, price_source_id) DO UPDATE SET requests = requests + 1, latest_id = max(latest_id, excluded.latest_id);
        END;
`;

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
${REQUEST_COLUMNS_V1}
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
  {
    version: 4,
    name: 'projects, branches, sessions and response ids; project rollups',
    up(db) {
      // A request's project and branch are dictionary ids (paths repeat on every row of a project);
      // the session id is kept as text (it rarely repeats beyond one session). response_id is the
      // upstream's id for the answer: unique, so a call seen by the proxy and in an agent's log is
      // stored once.
      db.exec(`
        CREATE TABLE projects (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, first_seen INTEGER, last_seen INTEGER) STRICT;
        CREATE TABLE branches (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;
        ALTER TABLE requests ADD COLUMN project_id INTEGER;
        ALTER TABLE requests ADD COLUMN branch_id INTEGER;
        ALTER TABLE requests ADD COLUMN session_id TEXT;
        ALTER TABLE requests ADD COLUMN response_id TEXT;
        CREATE UNIQUE INDEX requests_response_id ON requests(response_id) WHERE response_id IS NOT NULL;
      `);
      // The plain rollups stay as they are (no project: unfiltered reads scan no more rows than
      // before); requests that name a project are summed again in rollups of their own, keyed by
      // project. Existing requests name none, so these start empty.
      // Each project's hourly and daily sums per currency alone serve splits by project (rollups.ts); the
      // request log and re-pricing of one project or model find its hours through the indexes.
      createDimensionRollups(db, 'project');
    },
  },
  {
    version: 5,
    name: 'agent-log cursors and per-agent import counts',
    up(db) {
      // Where the agent-log follower stopped in each file (or database): the file's identity (device
      // and inode) and size tell a file that was replaced or truncated from one that grew; `state` is
      // the format's own JSON checkpoint. A cursor is written only after the records before it were
      // committed, so a restart resumes exactly there. agent_stats counts what each agent's import
      // added, so the Settings view never counts the requests table.
      db.exec(`
        CREATE TABLE agent_cursors (
          agent TEXT NOT NULL,
          path TEXT NOT NULL,
          identity TEXT NOT NULL,
          size INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          state TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (agent, path)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE agent_stats (
          agent TEXT PRIMARY KEY,
          records INTEGER NOT NULL,
          last_record_at INTEGER
        ) STRICT;
      `);
    },
  },
  {
    version: 6,
    name: 'budgets, alerts sent and the webhook outbox',
    up(db) {
      // A budget's settings are one validated JSON document (the schema in shared/schemas/budgets.ts
      // owns its shape). An alert row is written once per budget, period and threshold: the UNIQUE key
      // is what keeps a restart or a re-pricing from sending one again. Webhook deliveries are an
      // outbox in the same database, written in the alert's transaction, so a delivery survives a
      // restart and is retried until delivered (or given up after its last attempt).
      db.exec(`
        CREATE TABLE budgets (
          id TEXT PRIMARY KEY,
          config TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE budget_alerts (
          id INTEGER PRIMARY KEY,
          budget_id TEXT NOT NULL,
          budget_name TEXT NOT NULL,
          period_start INTEGER NOT NULL,
          threshold INTEGER NOT NULL,
          ts INTEGER NOT NULL,
          spent REAL NOT NULL,
          projected REAL NOT NULL,
          currency TEXT NOT NULL,
          UNIQUE (budget_id, period_start, threshold)
        ) STRICT;
        CREATE TABLE webhook_deliveries (
          id INTEGER PRIMARY KEY,
          alert_id INTEGER NOT NULL UNIQUE,
          url TEXT NOT NULL,
          format TEXT NOT NULL,
          body TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          next_attempt_at INTEGER NOT NULL,
          last_error TEXT,
          delivered_at INTEGER,
          failed_at INTEGER
        ) STRICT;
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
      `);
    },
  },
  {
    version: 7,
    name: 'forwarding outbox',
    up(db) {
      // What waits to be forwarded to another ModelMeter: (kind, ref) names a request id, run id or
      // channel id; the rows themselves are read when a batch is sent, so the outbox stays small. The
      // triggers that fill it are created only while forwarding is on (electron/ledger/forwarding/).
      // AUTOINCREMENT: seq never goes back, so "every entry up to seq N" is exactly what a batch read.
      db.exec(`
        CREATE TABLE forward_outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          kind INTEGER NOT NULL,
          ref INTEGER NOT NULL,
          queued_at INTEGER NOT NULL
        ) STRICT;
        -- Runs and circuits (not requests, the bulk) are coalesced by ref when a batch is acknowledged.
        CREATE INDEX forward_outbox_ref ON forward_outbox(kind, ref) WHERE kind <> 1;
      `);
    },
  },
  {
    version: 8,
    name: 'hosts: records and runs forwarded by other ModelMeters; host rollups',
    up(db) {
      // Which machine a record came from: NULL is this machine, so every existing row stays its own
      // and the column costs nothing on rows recorded here. A forwarded run keeps its id on the
      // sending machine (origin_id): with the host it is the run's identity, so a batch sent again
      // updates the run instead of adding a second one.
      db.exec(`
        CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, first_seen INTEGER, last_seen INTEGER) STRICT;
        ALTER TABLE requests ADD COLUMN host_id INTEGER;
        ALTER TABLE runs ADD COLUMN host_id INTEGER;
        ALTER TABLE runs ADD COLUMN origin_id INTEGER;
        CREATE UNIQUE INDEX runs_host_origin ON runs(host_id, origin_id) WHERE host_id IS NOT NULL;
      `);
      // A third set of rollups, like the project ones (rollups.ts): only forwarded requests, keyed by
      // host; unfiltered reads never touch them and "this machine" is the plain total less the hosts'.
      createDimensionRollups(db, 'host');
    },
  },
  {
    version: 9,
    name: 'hour and day rollup versions',
    up(db) {
      // A number per hour and per day bucket that grows whenever any rollup row of that bucket changes
      // (in the same transaction): readers keep the rows they summed and reuse them while the number
      // holds (electron/ledger/store/bucket-cache.ts). Rows are never deleted, so a number is never
      // reused. Every set's buckets are in the plain rollups (every request is), so those number all.
      db.exec(`
        CREATE TABLE rollup_hour_versions (bucket INTEGER PRIMARY KEY, version INTEGER NOT NULL) STRICT;
        CREATE TABLE rollup_day_versions (bucket INTEGER PRIMARY KEY, version INTEGER NOT NULL) STRICT;
        INSERT INTO rollup_hour_versions (bucket, version) SELECT DISTINCT bucket, 1 FROM rollup_hour;
        INSERT INTO rollup_day_versions (bucket, version) SELECT DISTINCT bucket, 1 FROM rollup_day;
      `);
    },
  },
  {
    version: 10,
    name: 'runs version',
    up(db) {
      // One number that grows, in the same transaction, whenever a run's span changes: added, deleted,
      // or a new model, start, end or host (heartbeats touch none of these). Readers keep every run's
      // span while it holds (electron/ledger/store/kept-runs.ts). Triggers, so no write path can miss it.
      const raise = `BEGIN UPDATE runs_version SET version = version + 1; END`;
      db.exec(`
        CREATE TABLE runs_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT;
        INSERT INTO runs_version (id, version) VALUES (1, 1);
        CREATE TRIGGER runs_version_insert AFTER INSERT ON runs ${raise};
        CREATE TRIGGER runs_version_delete AFTER DELETE ON runs ${raise};
        CREATE TRIGGER runs_version_update AFTER UPDATE OF model_id, start_at, end_at, host_id ON runs
          WHEN old.model_id IS NOT new.model_id OR old.start_at IS NOT new.start_at OR old.end_at IS NOT new.end_at OR old.host_id IS NOT new.host_id
          ${raise};
      `);
    },
  },
  {
    version: 11,
    name: 'catalogue-priced requests per model and source',
    up(db) {
      // The Pricing view names each model's catalogue entry (the source of its latest catalogue-priced
      // request) and the catalogue status counts such requests per data version: both scanned every
      // request on the main thread (~1 s at 10M rows, the whole server stalled meanwhile). This keeps
      // the counts: the request writer adds each write's (catalogue-priced rows only, once per pair and
      // write, so ingest pays nothing per row), and triggers follow every delete and re-pricing, so no
      // other write path can leave them wrong. latest_id is the newest id of the pair's requests; when
      // that very request is deleted or re-priced away it becomes an id just before it (finding the
      // true one would be a scan): an upper bound, so a source that took a model's newest request
      // over names the model, while the counts stay exact.
      db.exec(`
        CREATE TABLE catalogue_priced (
          model_id INTEGER NOT NULL,
          price_source_id INTEGER NOT NULL,
          requests INTEGER NOT NULL,
          latest_id INTEGER NOT NULL,
          PRIMARY KEY (model_id, price_source_id)
        ) STRICT, WITHOUT ROWID;
        INSERT INTO catalogue_priced (model_id, price_source_id, requests, latest_id)
          SELECT model_id, price_source_id, count(*), max(id) FROM requests WHERE price_source_id IS NOT NULL GROUP BY model_id, price_source_id;
        ${CATALOGUE_PRICED_TRIGGERS}
      `);
    },
  },
  {
    version: 12,
    name: 'request ids indexed by time',
    up: (db) => indexIdsByTime(db, 'request_id'),
  },
  {
    version: 13,
    name: 'response ids indexed by time',
    // The proxy stores a random response id (chatcmpl-..., msg_...) with every call it records.
    up: (db) => indexIdsByTime(db, 'response_id'),
  },
  {
    version: 14,
    name: 'hourly rollups without model indexes',
    // A new hourly row put an entry at each model's end of these indexes: with many models (or projects
    // or machines) a commit rewrote a page per model in each, most of a wide ingest's writes. What they
    // sped up (a model's hours) is a range of the table's own key that is read in ~1-2 ms over 30 days
    // (a project's or machine's hours are not: version 15 moves their indexes).
    up: (db) =>
      db.exec(`
        DROP INDEX rollup_hour_model;
        DROP INDEX rollup_project_hour_model;
        DROP INDEX rollup_host_hour_model;
      `),
  },
  {
    version: 15,
    name: "a project's and a machine's hours indexed in their totals",
    // The same for a project's or machine's index on its full-key hourly rows (a row per model, channel
    // and hour): the request log finds a value's hours in its hourly totals (a row per currency and
    // hour), indexed instead, and looks the rest of its filter up in those hours' full-key rows.
    up: (db) =>
      db.exec(`
        DROP INDEX rollup_project_hour_project;
        DROP INDEX rollup_host_hour_host;
        CREATE INDEX rollup_project_total_hour_project ON rollup_project_total_hour(project_id, bucket);
        CREATE INDEX rollup_host_total_hour_host ON rollup_host_total_hour(host_id, bucket);
      `),
  },
  {
    version: 16,
    name: 'request and response ids indexed by millisecond',
    // Filed by ~17.5 minutes of ids (`id >> 30`), records sent live or a few milliseconds apart put
    // hundreds of thousands of random ids in one bucket, and a commit's ids landed on a page each again
    // (records with a requestId went in at a third of the rate of records without). Filed by millisecond,
    // a commit's ids share its last milliseconds' pages. The logs' entries grow from 12 to 16 bytes (a
    // bucket needs 41 bits): the old ones are dropped, and each connection scans the index when it
    // first needs the ids.
    up: (db) => {
      for (const column of ['request_id', 'response_id']) {
        db.exec(`
          DROP INDEX requests_${column}_by_time;
          CREATE INDEX requests_${column}_by_ms ON requests(id >> 10, ${column}) WHERE ${column} IS NOT NULL;
          DELETE FROM ${column}_log;
        `);
      }
    },
  },
  {
    version: 17,
    name: 'request and response ids in tables of their own',
    // Each id was stored twice, in its row and in the index that finds it (53 B an entry), and every
    // row paid a byte for each of the two columns even when NULL (most rows): ~5.9 B of the 67.6 B a
    // request took at 10M rows (P5a, target 64). Keyed by their request's id, the ids are stored once,
    // appended in time order as the index was, and found by a rowid range (one millisecond's ids).
    up: (db) => moveIdsOutOfRequests(db),
  },
];

/** Rows moved per step of migration 17's rewrite of requests (each step then frees its old pages). */
const REWRITE_CHUNK = 250_000;

/**
 * Migration 17: the ids move to request_ids / response_ids, and requests is rewritten without their
 * columns (SQLite's DROP COLUMN re-encodes every row and stores 0 and 1 as a byte each: rows grew).
 * The old rows are deleted a chunk at a time as they are copied, so the new table reuses their pages and
 * the file does not double (10M rows: ~15 s, the file about as large as before, the rest free pages).
 */
function moveIdsOutOfRequests(db: Database): void {
  const kept = `id, model_id, api_type_id, channel_id, source_id, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, success, failure_class, status_code, latency_ms, ttft_ms, cost_nanos, currency_id, provider_id,
    cache_write_1h_tokens, price_source_id, project_id, branch_id, session_id, host_id`;
  db.exec(`
    CREATE TABLE request_ids (id INTEGER PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE response_ids (id INTEGER PRIMARY KEY, value TEXT NOT NULL) STRICT;
    INSERT INTO request_ids (id, value) SELECT id, request_id FROM requests WHERE request_id IS NOT NULL ORDER BY id;
    INSERT INTO response_ids (id, value) SELECT id, response_id FROM requests WHERE response_id IS NOT NULL ORDER BY id;
    DROP INDEX requests_request_id_by_ms;
    DROP INDEX requests_response_id_by_ms;
    -- Recreated on the new table below; on the old one they would count the copy's deletes.
    DROP TRIGGER catalogue_priced_delete;
    DROP TRIGGER catalogue_priced_update;
    CREATE TABLE requests_rewritten (
${REQUEST_COLUMNS_V1}
      provider_id INTEGER,
      cache_write_1h_tokens INTEGER,
      price_source_id INTEGER,
      project_id INTEGER,
      branch_id INTEGER,
      session_id TEXT,
      host_id INTEGER
    ) STRICT;
  `);
  const copy = db.prepare<[number]>(`INSERT INTO requests_rewritten (${kept}) SELECT ${kept} FROM requests ORDER BY id LIMIT ?`);
  const lastCopied = db.prepare<[], number | null>(`SELECT max(id) FROM requests_rewritten`).pluck();
  const dropCopied = db.prepare<[number]>(`DELETE FROM requests WHERE id <= ?`);
  while (copy.run(REWRITE_CHUNK).changes > 0) dropCopied.run(lastCopied.get()!);
  db.exec(`
    DROP TABLE requests;
    ALTER TABLE requests_rewritten RENAME TO requests;
    ${CATALOGUE_PRICED_TRIGGERS}
    -- A deleted request's ids go with it (retention, a model's or a range's removal), whatever path deletes it.
    CREATE TRIGGER request_ids_delete AFTER DELETE ON requests BEGIN
      DELETE FROM request_ids WHERE id = old.id;
      DELETE FROM response_ids WHERE id = old.id;
    END;
  `);
}

/**
 * A unique index on random ids (UUIDs, hashes, response ids) put each new one on a page of its own, so
 * a commit wrote about a page of index per record. Filed by the time of their row first, a commit's ids
 * share the last bucket's pages; the promise that a stored id is never stored again is kept by
 * StoredIds (stored-ids.ts), the column's log telling each writing connection what the others stored.
 * Migrations 12 and 13 run it; its DDL must not change.
 */
function indexIdsByTime(db: Database, column: 'request_id' | 'response_id'): void {
  db.exec(`
    DROP INDEX requests_${column};
    CREATE INDEX requests_${column}_by_time ON requests(id >> 30, ${column}) WHERE ${column} IS NOT NULL;
    CREATE TABLE ${column}_log (seq INTEGER PRIMARY KEY, writer INTEGER NOT NULL, hashes BLOB NOT NULL) STRICT;
  `);
}

/**
 * The rollups of one dimension (project, host): the plain rollups' keys plus the dimension's id at
 * three grains, each dimension's hourly and daily sums per currency alone, and the indexes by which one
 * dimension value or model finds its hours (migrations 14 and 15 replace them). Migrations 4 and 8 create
 * them; their DDL must not change.
 */
function createDimensionRollups(db: Database, dimension: 'project' | 'host'): void {
  const id = `${dimension}_id`;
  const sums = ROLLUP_SUMS.map((column) => `${column} INTEGER NOT NULL`).join(', ');
  for (const grain of ['minute', 'hour', 'day']) {
    db.exec(`
      CREATE TABLE rollup_${dimension}_${grain} (
        bucket INTEGER NOT NULL,
        ${id} INTEGER NOT NULL,
        model_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        api_type_id INTEGER NOT NULL,
        currency_id INTEGER NOT NULL,
        ${sums},
        PRIMARY KEY (bucket, ${id}, model_id, channel_id, api_type_id, currency_id)
      ) STRICT, WITHOUT ROWID;
    `);
  }
  for (const grain of ['hour', 'day']) {
    db.exec(`
      CREATE TABLE rollup_${dimension}_total_${grain} (
        bucket INTEGER NOT NULL,
        ${id} INTEGER NOT NULL,
        currency_id INTEGER NOT NULL,
        ${sums},
        PRIMARY KEY (bucket, ${id}, currency_id)
      ) STRICT, WITHOUT ROWID;
    `);
  }
  db.exec(`
    CREATE INDEX rollup_${dimension}_hour_${dimension} ON rollup_${dimension}_hour(${id}, bucket);
    CREATE INDEX rollup_${dimension}_hour_model ON rollup_${dimension}_hour(model_id, bucket);
  `);
}

const ROLLUP_SUMS = [
  'requests',
  'failures',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cost_nanos',
  'latency_ms_sum',
  'latency_count',
] as const;

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

/**
 * Applies pending migrations in one transaction; returns the versions applied. `log` hears of an upgrade
 * of a database that had a schema (not of a new one): some steps rewrite a table, seconds at 10M rows.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, log?: (message: string) => void): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const last = migrations[migrations.length - 1]?.version ?? 0;
  if (current > last) throw new NewerSchemaError(current);
  const pending = migrations.filter((step) => step.version > current);
  if (pending.length === 0) return [];
  const started = performance.now();
  if (current > 0) log?.(`upgrading the ledger from schema version ${current} to ${last} (${pending.map((step) => step.name).join('; ')})...`);
  db.transaction(() => {
    for (const step of pending) {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }
  }).immediate();
  if (current > 0) log?.(`the ledger is at schema version ${last} (${Math.round(performance.now() - started)} ms)`);
  return pending.map((step) => step.version);
}

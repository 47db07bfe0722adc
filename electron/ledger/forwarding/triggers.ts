import type { Database } from 'better-sqlite3';

/** What an outbox entry names: a request (requests.id), a model run (runs.id) or a circuit (channels.id). */
export const OUTBOX_KIND = { request: 1, run: 2, circuit: 3 } as const;
export type OutboxKind = (typeof OUTBOX_KIND)[keyof typeof OUTBOX_KIND];

// Epoch milliseconds inside SQLite, so an entry is stamped by whoever writes the row, on any connection.
const NOW_MS = `CAST(unixepoch('subsec') * 1000 AS INTEGER)`;

const queue = (kind: OutboxKind, ref: string) => `INSERT INTO forward_outbox (kind, ref, queued_at) VALUES (${kind}, ${ref}, ${NOW_MS});`;

/**
 * The triggers that queue every written row in the same transaction as the row itself, whatever
 * connection, thread or path wrote it. They exist only while forwarding is on: off costs nothing.
 * An attribution fill (project, branch, session set on an existing request) queues the request again:
 * the resend carries its responseId, and the target fills its copy.
 */
const TRIGGERS: Readonly<Record<string, string>> = {
  forward_request_insert: `AFTER INSERT ON requests BEGIN ${queue(OUTBOX_KIND.request, 'NEW.id')} END`,
  forward_request_attribution: `AFTER UPDATE OF project_id, branch_id, session_id ON requests BEGIN ${queue(OUTBOX_KIND.request, 'NEW.id')} END`,
  forward_run_insert: `AFTER INSERT ON runs BEGIN ${queue(OUTBOX_KIND.run, 'NEW.id')} END`,
  forward_run_update: `AFTER UPDATE ON runs BEGIN ${queue(OUTBOX_KIND.run, 'NEW.id')} END`,
  forward_circuit_insert: `AFTER INSERT ON circuit_states BEGIN ${queue(OUTBOX_KIND.circuit, 'NEW.channel_id')} END`,
  forward_circuit_update: `AFTER UPDATE ON circuit_states BEGIN ${queue(OUTBOX_KIND.circuit, 'NEW.channel_id')} END`,
};

export const FORWARD_TRIGGERS = Object.keys(TRIGGERS);

/** Creates the missing triggers (idempotent). Call inside a write transaction. */
export function createForwardTriggers(db: Database): void {
  for (const [name, body] of Object.entries(TRIGGERS)) db.exec(`CREATE TRIGGER IF NOT EXISTS ${name} ${body}`);
}

/** Drops the triggers (idempotent). Call inside a write transaction. */
export function dropForwardTriggers(db: Database): void {
  for (const name of FORWARD_TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
}

export function forwardTriggersPresent(db: Database): boolean {
  const found = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'forward\\_%' ESCAPE '\\'`).get();
  return (found?.n ?? 0) === FORWARD_TRIGGERS.length;
}

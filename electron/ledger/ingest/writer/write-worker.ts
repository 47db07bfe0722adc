import { workerData } from 'node:worker_threads';
import { CatalogueMatcher } from '../../pricing/catalogue.js';
import { encodeError } from '../../reads/protocol.js';
import { Ledger } from '../../store/ledger.js';
import { lowerThisThread } from '../../threads/background-priority.js';
import { GroupCommitWriter } from '../group-commit.js';
import { decodeBatch } from './batch-codec.js';
import { SharedWriteGate } from './write-gate.js';
import { calendarById, SIGNAL_INDEX, type BatchOutcome, type RunOutcome, type WriteMessage, type WriteWorkerData, type WriterMessage } from './protocol.js';

/**
 * The writer thread's entry (started by WriteWorkerClient): commits request batches on its own
 * connection to the ledger file with the same store code as the main thread (RequestWriter, rollups,
 * pricing), grouped as the inline path groups them (GroupCommitWriter), so the fsync of each commit
 * and the rollup upserts never hold the main thread's event loop; launchers' run events too (each in
 * its own transaction: a heartbeat every few seconds per run). Everything else the ledger writes
 * stays on the main connection; SQLite serialises the two, and StoreContext re-reads its mirrors when
 * the other connection committed.
 */
const data = workerData as WriteWorkerData;
const { port } = data;
lowerThisThread(data.nice ?? 0);
const signal = new Int32Array(data.signal);
let now = Date.now();
const calendar = calendarById(data.calendar);
if (calendar === null) throw new Error(`the writer thread cannot use the calendar ${data.calendar}`);
/**
 * Opening sets up a write (StoreContext aligns the day rollups), which waits for a write the main
 * connection holds, at most its busy timeout (5 s). A main connection busy for longer (a model of 1M
 * requests deleted at 10M takes ~6 s) is waited out here: giving up would leave every later batch
 * to the main thread for the rest of the session.
 */
function openLedger(): Ledger {
  const deadline = Date.now() + OPEN_WAIT_MS;
  for (;;) {
    try {
      return Ledger.open(data.file, {
        durability: data.durability,
        now: () => now,
        calendar: calendar!,
        ...(data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
    }
  }
}
const OPEN_WAIT_MS = 120_000;
const ledger = openLedger();
ledger.ctx.gate = new SharedWriteGate(data.gate, 'thread');
ledger.ctx.catalogue = data.catalogue === null ? null : new CatalogueMatcher(data.catalogue);

function send(message: WriterMessage): void {
  port.postMessage(message);
  // A main thread draining synchronously (flush at shutdown) sleeps on this counter.
  Atomics.add(signal, SIGNAL_INDEX, 1);
  Atomics.notify(signal, SIGNAL_INDEX);
}

// One `committed` message per transaction: GroupCommitWriter resolves a transaction's batches in one
// go, and their outcomes are gathered until the microtasks of that turn have run.
let outbox: BatchOutcome[] = [];
function reply(outcome: BatchOutcome): void {
  if (outbox.length === 0) {
    queueMicrotask(() => {
      const outcomes = outbox;
      outbox = [];
      send({ type: 'committed', outcomes });
    });
  }
  outbox.push(outcome);
}

const committer = new GroupCommitWriter(ledger);

/**
 * While this thread runs, the main connection checkpoints only past CHECKPOINT_PAGES_BESIDE_THREAD, a
 * safety net (WriteWorkerClient): what it commits (a setting, a deletion's slices between the
 * checkpoints they ask for) is folded into the file here,
 * every CHECKPOINT_EVERY_MS when it committed since, whether or not batches come. This connection's
 * own commits do it past CHECKPOINT_PAGES, as before: during ingest alone the timer folds nothing in
 * (more often, it would write the same rollup pages into the file again and again). PASSIVE: it waits
 * for no one.
 */
const CHECKPOINT_EVERY_MS = 500;
function checkpoint(): void {
  try {
    ledger.db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another connection checkpointing): the next one tries again.
  }
}
/** PRAGMA data_version as last checkpointed: it moves when another connection commits. */
let othersAt = -1;
const checkpoints = setInterval(() => {
  const version = ledger.db.pragma('data_version', { simple: true }) as number;
  if (version === othersAt) return;
  othersAt = version;
  checkpoint();
}, CHECKPOINT_EVERY_MS);

port.on('message', (message: WriteMessage) => {
  switch (message.type) {
    case 'batch':
      now = message.now;
      committer.submit(decodeBatch(message.records)).then(
        (result) => reply({ id: message.id, ok: true, result }),
        (error: unknown) => reply({ id: message.id, ok: false, error: encodeError(error) }),
      );
      return;
    case 'run': {
      now = message.now;
      // Its own transaction, at once: batches queued before it commit in the next group.
      let outcome: RunOutcome;
      try {
        outcome = { id: message.id, ok: true, run: ledger.write(() => ledger.runs.report(message.event)) };
      } catch (error) {
        outcome = { id: message.id, ok: false, error: encodeError(error) };
      }
      send({ type: 'run', outcome });
      return;
    }
    case 'catalogue':
      // Batches already queued were sent before the change: they are committed with the old data.
      committer.flush();
      ledger.ctx.catalogue = message.data === null ? null : new CatalogueMatcher(message.data);
      return;
    case 'checkpoint':
      checkpoint();
      send({ type: 'checkpointed', id: message.id });
      return;
    case 'close':
      clearInterval(checkpoints);
      committer.flush();
      // Let the replies of that last commit go out before the connection closes.
      setImmediate(() => {
        ledger.close();
        send({ type: 'closed' });
        port.close();
      });
      return;
  }
});
send({ type: 'ready' });
// Batches that arrive meanwhile wait in the port: with ~770,000 stored request ids this takes ~0.5 s,
// which the first batch carrying an id would otherwise pay.
ledger.requests.loadStoredIds();

import type { MessagePort } from 'node:worker_threads';
import type { RunEvent } from '../../../../shared/schemas/run-event.js';
import type { Run } from '../../../../shared/types.js';
import type { CatalogueData } from '../../pricing/catalogue-data.js';
import { UTC_CALENDAR, zoneCalendar, type DayCalendar } from '../../time/day-calendar.js';
import type { WireError } from '../../reads/protocol.js';
import type { WriteResult } from '../../store/request-writer.js';
import type { EncodedBatch } from './batch-codec.js';

/**
 * What crosses between the main thread and the writer thread (write-worker.ts). Messages are handled
 * in the order they are sent, which is what makes a catalogue change reach every batch sent after it.
 */
export interface WriteWorkerData {
  file: string;
  nativeBinding?: string;
  /** How many nice steps the thread goes below the process (background-priority.ts); absent or 0: none. */
  nice?: number;
  /** synchronous=FULL or NORMAL, as the main connection has it. */
  durability: 'full' | 'normal';
  /** The main ledger's DayCalendar id ('utc' or 'tz:<zone>'): both connections must bucket days alike. */
  calendar: string;
  /** The main connection's catalogue when the thread starts; null = catalogue pricing off. */
  catalogue: CatalogueData | null;
  /** Bumped (Atomics.notify) after every message the thread posts, so the main thread can wait for one. */
  signal: SharedArrayBuffer;
  /** The turn-taking cells shared with the main connection (write-gate.ts). */
  gate: SharedArrayBuffer;
  /** Where the thread posts its messages: a port the main thread can also drain synchronously. */
  port: MessagePort;
}

export type WriteMessage =
  /**
   * Records to commit, encoded (batch-codec.ts: their arrays are transferred); `now` is the main
   * thread's clock for what the store stamps (a new model's created_at).
   */
  | { type: 'batch'; id: number; now: number; records: EncodedBatch }
  /**
   * A launcher's run event (start / heartbeat / stop), validated on the main thread: committed here so
   * its fsync does not hold the main thread's event loop; `now` as for a batch.
   */
  | { type: 'run'; id: number; now: number; event: RunEvent }
  /** Catalogue data now in use on the main connection (null: off); batches after it are priced with it. */
  | { type: 'catalogue'; data: CatalogueData | null }
  /** Fold the WAL into the file (what the main connection committed too), then answer `checkpointed`. */
  | { type: 'checkpoint'; id: number }
  /** Commit what is queued, close the connection, end. */
  | { type: 'close' };

export type BatchOutcome = { id: number; ok: true; result: WriteResult } | { id: number; ok: false; error: WireError };

export type RunOutcome = { id: number; ok: true; run: Run } | { id: number; ok: false; error: WireError };

/**
 * From the thread: `ready` once its connection is open; `committed` once per transaction, with the
 * outcome of every batch it held (an event is emitted per message, as the inline path does per
 * transaction); `run` once a run event is committed (or refused); `checkpointed` once a checkpoint
 * asked for is done (or failed: the next one tries again); `closed` after the connection is closed.
 */
export type WriterMessage =
  | { type: 'ready' }
  | { type: 'committed'; outcomes: BatchOutcome[] }
  | { type: 'run'; outcome: RunOutcome }
  | { type: 'checkpointed'; id: number }
  | { type: 'closed' };

/** The index of the counter in `signal`. */
export const SIGNAL_INDEX = 0;

/** The calendar a DayCalendar id names, or null for one the thread cannot rebuild (a test's own). */
export function calendarById(id: string): DayCalendar | null {
  if (id === UTC_CALENDAR.id) return UTC_CALENDAR;
  return id.startsWith('tz:') ? zoneCalendar(id.slice(3)) : null;
}

import type { Statement } from 'better-sqlite3';
import { Ledger } from '../store/ledger.js';
import type { DayCalendar } from '../time/day-calendar.js';
import { historyJsonBytes } from './history-json.js';
import type { HistoryArgs, ReadCall, ReadResults } from './protocol.js';
import { answerCall, readHistoryGrid } from './read-queries.js';

export interface ReplicaOptions {
  nativeBinding?: string;
  calendar?: DayCalendar;
}

/**
 * A read-only ledger on the same file as the writer, answering read calls as the writer's own ledger
 * would. Each answer is read inside one read transaction, so it sees one committed snapshot even when
 * the writer commits between its statements (several rollup tables, runs, circuits), never a half of
 * a write. The mirrors of small tables (models, channels, prices, coverage...) are read again inside
 * that snapshot whenever the writer committed since the last answer.
 */
export class ReadReplica {
  readonly ledger: Ledger;
  private now = 0;
  /** PRAGMA data_version when the mirrors were last read; it changes when another connection commits. */
  private mirrorsAt: number | null = null;
  private readonly begin: Statement;
  private readonly commit: Statement;

  private constructor(file: string, options: ReplicaOptions) {
    this.ledger = Ledger.open(file, {
      readonly: true,
      now: () => this.now,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      ...(options.calendar ? { calendar: options.calendar } : {}),
    });
    this.begin = this.ledger.db.prepare('BEGIN DEFERRED');
    this.commit = this.ledger.db.prepare('COMMIT');
  }

  static open(file: string, options: ReplicaOptions = {}): ReadReplica {
    return new ReadReplica(file, options);
  }

  answer<C extends ReadCall>(call: C, now: number): ReadResults[C['op']] {
    return this.inSnapshot(now, () => answerCall(this.ledger, call));
  }

  /** A history's JSON answer in bytes, written as it is shaped (history-json.ts), from one snapshot. */
  historyJson(args: HistoryArgs, now: number, alloc: (size: number) => Buffer): Buffer {
    return this.inSnapshot(now, () =>
      historyJsonBytes({ from: args.range.from, to: args.range.to, interval: args.interval }, readHistoryGrid(this.ledger, args), (nanos) => this.ledger.reports.money(nanos), alloc),
    );
  }

  /** Runs `work` in one read transaction with the mirrors of that snapshot (tests read twice in one). */
  inSnapshot<T>(now: number, work: () => T): T {
    this.now = now;
    this.begin.run();
    try {
      // Read inside the transaction: the version of the snapshot this answer reads.
      const version = this.ledger.db.pragma('data_version', { simple: true }) as number;
      if (version !== this.mirrorsAt) {
        this.mirrorsAt = null;
        this.ledger.ctx.refreshMirrors();
        this.mirrorsAt = version;
      }
      return work();
    } finally {
      this.commit.run();
    }
  }

  close(): void {
    this.ledger.close();
  }
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { ApiError, type ErrorCode } from '../../../../shared/errors.js';

/** A ledger on a temporary file with a clock the test moves by hand. */
export class Harness {
  readonly dir: string;
  readonly file: string;
  now: number;
  ledger: Ledger;
  service: LedgerService;

  constructor(
    start: number,
    private readonly options: ConstructorParameters<typeof LedgerService>[1] = {},
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-test-'));
    this.file = path.join(this.dir, 'ledger.db');
    this.now = start;
    this.ledger = Ledger.open(this.file, { now: () => this.now });
    this.service = new LedgerService(this.ledger, this.options);
  }

  /** Closes and opens the same file again, as after a restart (or a crash: nothing is stopped first). */
  reopen(): void {
    this.service.flush();
    this.ledger.close();
    this.ledger = Ledger.open(this.file, { now: () => this.now });
    this.service = new LedgerService(this.ledger, this.options);
  }

  /** Row counts of every table: a cheap fingerprint of what is stored. */
  tableCounts(): Record<string, number> {
    const tables = this.ledger.db
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all()
      .map((row) => row.name);
    const counts: Record<string, number> = {};
    for (const table of tables) {
      counts[table] = this.ledger.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM "${table}"`).get()!.n;
    }
    return counts;
  }

  /** Every row of the tables that hold usage and money, for before/after comparisons. */
  dump(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const table of [
      'requests',
      'rollup_minute',
      'rollup_hour',
      'rollup_day',
      'rollup_project_minute',
      'rollup_project_hour',
      'rollup_project_day',
      'rollup_project_total_hour',
      'rollup_project_total_day',
      'rollup_host_minute',
      'rollup_host_hour',
      'rollup_host_day',
      'rollup_host_total_hour',
      'rollup_host_total_day',
      'price_versions',
      'currencies',
      'models',
      'runs',
    ]) {
      out[table] = this.ledger.db
        .prepare(`SELECT * FROM ${table}`)
        .all()
        .map((row) => JSON.stringify(row))
        .sort();
    }
    return out;
  }

  close(): void {
    this.service.flush();
    this.ledger.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The ApiError code a promise rejects with (fails the test if it resolves or throws something else). */
export async function errorCode(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  throw new Error('expected an ApiError, but the call succeeded');
}

/** A deterministic PRNG (mulberry32), so a failing randomized test fails the same way every time. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

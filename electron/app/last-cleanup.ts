import type { LastCleanup } from '../../shared/types.js';
import type { Ledger } from '../ledger/store/ledger.js';

const KEY = 'lastCleanup';

/** The record of the last cleanup, kept in the ledger's settings table (so backups carry it). */
export function readLastCleanup(ledger: Ledger): LastCleanup | null {
  const value = ledger.config.read(KEY);
  if (typeof value !== 'object' || value === null) return null;
  const { at, trigger, before, requests } = value as Record<string, unknown>;
  if (typeof at !== 'number' || typeof before !== 'number' || typeof requests !== 'number') return null;
  if (trigger !== 'manual' && trigger !== 'retention') return null;
  return { at, trigger, before, requests };
}

export function recordCleanup(ledger: Ledger, cleanup: LastCleanup): void {
  ledger.write(() => ledger.config.write(KEY, cleanup));
}

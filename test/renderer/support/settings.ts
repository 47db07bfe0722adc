import { DEFAULT_SETTINGS } from '../../../electron/ledger/store/settings-store.js';
import type { Settings } from '../../../shared/types.js';

/**
 * The settings a fresh install answers: the store's defaults, no OTLP headers, the push not running.
 * Shared by the renderer view tests (a test changes a copy, never this object).
 */
export const SETTINGS: Settings = {
  ...structuredClone(DEFAULT_SETTINGS),
  otlpHeaders: {},
  otlpStatus: { running: false, lastExportAt: null, lastError: null },
};

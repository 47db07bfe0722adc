import { ApiError, type ErrorCode } from '../../../shared/errors.js';
import type { ImportFormat, ImportProgress, ImportReport } from '../../../shared/types.js';

export type { ImportFormat, ImportPhase, ImportProgress, ImportReport } from '../../../shared/types.js';

export const FORMAT_LABELS: Record<ImportFormat, string> = {
  'llm-manager-tables': 'LLM-Manager monitoring.db (a table set per model)',
  'llm-manager-unified': 'LLM-Manager monitoring.db (shared tables)',
  ccx: 'ccx metrics.db',
};

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Stops between batches; what was written before stays (a second import completes it, counting nothing twice). */
  signal?: AbortSignal;
  /** The currency of LLM-Manager's prices; it showed them in yuan (元), so CNY unless told otherwise. */
  currency?: string;
  /**
   * LLM-Manager's own uptime (`program_runtime`). ModelMeter keeps only its own program runs, so by
   * default it is left out (and counted); 'as-model' imports it as runs of a model named "LLM-Manager".
   */
  programRuntime?: 'skip' | 'as-model';
  /** The better-sqlite3 addon that opens the source (Electron's build inside the desktop app). */
  nativeBinding?: string;
  /** Records per ingest call (default 5,000). */
  batchSize?: number;
}

export type ImportErrorReason = 'missing' | 'unreadable' | 'not_sqlite' | 'unknown_layout' | 'own_file' | 'oversized' | 'aborted' | 'bad_option' | 'failed';

const CODE_OF: Record<ImportErrorReason, ErrorCode> = {
  missing: 'not_found',
  unreadable: 'bad_request',
  not_sqlite: 'bad_request',
  unknown_layout: 'bad_request',
  own_file: 'bad_request',
  oversized: 'bad_request',
  aborted: 'conflict',
  bad_option: 'validation_failed',
  failed: 'bad_request',
};

/** A file that cannot be imported, with what was expected and what was found; it crosses HTTP/IPC as an ApiError. */
export class ImportError extends ApiError {
  constructor(
    readonly reason: ImportErrorReason,
    message: string,
  ) {
    super(CODE_OF[reason], message);
    this.name = 'ImportError';
  }
}

export function emptyReport(file: string, format: ImportFormat, startedAt: number): ImportReport {
  return {
    file,
    format,
    formatLabel: FORMAT_LABELS[format],
    startedAt,
    finishedAt: startedAt,
    models: [],
    requests: { read: 0, accepted: 0, duplicates: 0, skipped: 0 },
    runs: { read: 0, added: 0, existing: 0, skipped: 0 },
    programRuns: { read: 0, added: 0, existing: 0, skipped: 0 },
    prices: { added: 0, existing: 0, skipped: 0, currency: null },
    circuits: { read: 0, updated: 0, unchanged: 0, skipped: 0 },
    notes: [],
  };
}

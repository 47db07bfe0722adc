import { ApiError, type ErrorCode } from '../../shared/errors.js';

/**
 * The databases of the two tools ModelMeter replaces:
 * - `llm-manager-tables`: LLM-Manager's first `monitoring.db`, a table set per model
 *   (`model_name_mapping`, `{safe}_requests`, `{safe}_runtime`, `{safe}_tier_pricing`, ...);
 * - `llm-manager-unified`: its later layout (`models`, `model_requests`, `model_runtime`, `tier_pricing`, ...);
 * - `ccx`: ccx's `metrics.db` (`request_records`, `circuit_states`).
 */
export type ImportFormat = 'llm-manager-tables' | 'llm-manager-unified' | 'ccx';

export const FORMAT_LABELS: Record<ImportFormat, string> = {
  'llm-manager-tables': 'LLM-Manager monitoring.db (a table set per model)',
  'llm-manager-unified': 'LLM-Manager monitoring.db (shared tables)',
  ccx: 'ccx metrics.db',
};

export type ImportPhase = 'reading' | 'pricing' | 'requests' | 'runs' | 'circuits' | 'done';

export interface ImportProgress {
  phase: ImportPhase;
  /** Items of this phase handled so far, and how many there are. */
  done: number;
  total: number;
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Stops between batches; what was written before stays (a second import completes it). */
  signal?: AbortSignal;
  /** The currency of LLM-Manager's prices; it showed them in yuan (元), so CNY unless told otherwise. */
  currency?: string;
  /**
   * LLM-Manager's own uptime (`program_runtime`). ModelMeter keeps only its own program runs, so by
   * default it is left out (and counted); 'as-model' imports it as runs of a model named "LLM-Manager".
   */
  programRuntime?: 'skip' | 'as-model';
  /** Records per ingest call (default 5,000). */
  batchSize?: number;
}

/** What an import did; counts are of source rows. Meant to move to shared/types.ts. */
export interface ImportReport {
  file: string;
  format: ImportFormat;
  formatLabel: string;
  startedAt: number;
  finishedAt: number;
  /** Model names found in the source, as ModelMeter stores them. */
  models: string[];
  requests: {
    read: number;
    accepted: number;
    /** Already in ModelMeter (an earlier import of the same file, or of the same rows in another layout). */
    duplicates: number;
    /** Rows that could not be used (bad time, blank model name...): see notes. */
    skipped: number;
  };
  runs: { read: number; added: number; existing: number; skipped: number };
  programRuns: { read: number; added: number; existing: number; skipped: number };
  prices: {
    /** Price versions added. */
    added: number;
    /** Identical version already present. */
    existing: number;
    /** Not imported: placeholder prices, or the model already has its own prices in ModelMeter. */
    skipped: number;
    currency: string | null;
  };
  circuits: {
    read: number;
    updated: number;
    unchanged: number;
    /** Unknown state, or ModelMeter holds a newer state for the channel. */
    skipped: number;
  };
  /** Sentences for people: decisions taken and anything left out. */
  notes: string[];
}

export type ImportErrorReason = 'missing' | 'unreadable' | 'not_sqlite' | 'unknown_layout' | 'aborted' | 'bad_option';

const CODE_OF: Record<ImportErrorReason, ErrorCode> = {
  missing: 'not_found',
  unreadable: 'bad_request',
  not_sqlite: 'bad_request',
  unknown_layout: 'bad_request',
  aborted: 'conflict',
  bad_option: 'validation_failed',
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

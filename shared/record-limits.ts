// The record's limits and fixed vocabularies, apart from its schema: the ledger's threads (the writer
// and the read workers) need these and must not load zod for them (each thread pays its own copy).

export const FAILURE_CLASSES = ['retryable', 'overloaded', 'non_retryable', 'quota', 'client_cancel'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

// 100M tokens of one class in one request is far past any context window, and with prices capped at
// 10,000 per 1M tokens it keeps every cost and every sum of costs exact in integer nanos.
export const MAX_TOKENS = 100_000_000;
/** Clock skew allowed for reporters; a request timestamped later than this is a mistake. */
export const MAX_FUTURE_MS = 24 * 3_600_000;

/** Latency and time to first token: at most a day. */
export const MAX_DURATION_MS = 86_400_000;
export const STATUS_CODE_RANGE = { min: 100, max: 599 } as const;
/** Api types and providers: 1-32 characters of a-z, 0-9, ".", "_" or "-". */
export const LOWER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const METRICS_KEY_PATTERN = /^[0-9a-f]{16}$/;
/** The longest text of each text field, in characters. */
export const TEXT_LIMITS = { model: 256, source: 64, requestId: 128, project: 1024, branch: 256, sessionId: 128, responseId: 256, host: 64 } as const;

/**
 * The most records one POST may carry. A batch is validated in chunks but committed in one
 * transaction (all-or-nothing), which holds the event loop: 5,000 records stay within ~20-40 ms. The
 * clients send 1,000 at a time; more just takes more posts.
 */
export const MAX_BATCH_RECORDS = 5_000;

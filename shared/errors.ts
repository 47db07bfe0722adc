/**
 * Errors cross every boundary (HTTP, IPC) as data: a stable code, a message for people and optional
 * details for programs. The code decides the HTTP status so both transports agree.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_buckets: 400,
  internal: 500,
  unavailable: 503,
  // The metering proxy's own answers: a refused caller, no upstream answering at all or in time.
  forbidden: 403,
  bad_gateway: 502,
  gateway_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem in an input: which record (for batches), which field, and why. */
export interface ErrorDetail {
  index?: number;
  field: string;
  reason: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
  /** On internal errors: the id the server logged the failure under, to find it in the log. */
  requestId?: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }

  static fromBody(body: ErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.details);
  }
}

/** The envelope every IPC answer travels in (HTTP uses status codes instead). */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

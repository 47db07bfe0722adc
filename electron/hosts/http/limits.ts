import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Sockets and memory are bounded: connections that idle, trickle or never send a request are closed,
 * and only a few large bodies are read at once (each is buffered whole before it is parsed).
 */
export const CONNECTION_LIMITS = {
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: 5_000,
  /** A connection must have sent its request line and headers within this time... */
  headersTimeoutMs: 10_000,
  /** ...and its whole request, body included, within this one. */
  requestTimeoutMs: 60_000,
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: 2_000,
  /** Connections past this many are closed on arrival (the dashboard needs ~6, a proxy client its own concurrency). */
  maxConnections: 512,
  /** A body larger than this (or of unknown length) counts as a large upload... */
  largeUploadBytes: 64 * 1024,
  /** ...and at most this many of them are read at the same time. */
  maxLargeUploads: 4,
} as const;

/** Counts large uploads in flight; one past the limit is refused before its body is read. */
export class UploadGate {
  private inFlight = 0;

  constructor(private readonly limit: number = CONNECTION_LIMITS.maxLargeUploads) {}

  /** True when the request may go on; a large one holds a place until its answer is done or the connection drops. */
  admit(request: FastifyRequest, reply: FastifyReply): boolean {
    if (!isLargeUpload(request)) return true;
    if (this.inFlight >= this.limit) return false;
    this.inFlight++;
    // 'close' on the response comes once in every case: answered, aborted or the socket lost.
    reply.raw.once('close', () => this.inFlight--);
    return true;
  }
}

function isLargeUpload(request: FastifyRequest): boolean {
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length'] ?? 0);
  return !Number.isFinite(length) || length > CONNECTION_LIMITS.largeUploadBytes;
}

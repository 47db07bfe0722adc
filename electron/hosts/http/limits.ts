import type { FastifyReply, FastifyRequest } from 'fastify';
import { contentEncoding } from './body-encoding.js';

/**
 * Sockets and memory are bounded: connections that idle, trickle or never send a request are closed,
 * and only a few large bodies are read at once (each is buffered whole before it is parsed); the
 * others wait, unread, for a place.
 */
export const CONNECTION_LIMITS = {
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: 5_000,
  /** A connection must have sent its request line and headers within this time... */
  headersTimeoutMs: 10_000,
  /** ...and its whole request, body included, within this one (time spent waiting for a place included). */
  requestTimeoutMs: 60_000,
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: 2_000,
  /** Connections past this many are closed on arrival (the dashboard needs ~6, a proxy client its own concurrency). */
  maxConnections: 512,
  /** A body larger than this (or of unknown length, or compressed) counts as a large upload... */
  largeUploadBytes: 64 * 1024,
  /** ...and at most this many of them are read at the same time... */
  maxLargeUploads: 4,
  /**
   * ...while up to this many more wait, unread, for a place (first come, first read): a client posting
   * batches of 1,000 records with 8 or 64 in flight is slowed down, not refused. A waiting body holds
   * only what Node buffers before it stops reading the socket (16 KiB). One more is refused with 503.
   */
  maxWaitingUploads: 256,
} as const;

interface Waiter {
  reply: FastifyReply;
  proceed(): void;
}

/**
 * Large uploads in flight and waiting: one past both limits is refused before its body is read. A
 * large one holds a place until its answer is done or its connection drops; a waiting one leaves the
 * queue when its connection drops (or Node's request timeout closes it).
 */
export class UploadGate {
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly limit: number = CONNECTION_LIMITS.maxLargeUploads,
    private readonly waitLimit: number = CONNECTION_LIMITS.maxWaitingUploads,
  ) {}

  /** Calls `proceed` now or once a place is free, or `refuse` (now) when too many already wait. */
  admit(request: FastifyRequest, reply: FastifyReply, proceed: () => void, refuse: () => void): void {
    if (!isLargeUpload(request)) return proceed();
    if (this.inFlight < this.limit) return this.start(reply, proceed);
    if (this.waiting.length >= this.waitLimit) return refuse();
    const waiter: Waiter = { reply, proceed };
    this.waiting.push(waiter);
    // 'close' on the response comes once in every case: answered, aborted or the socket lost.
    reply.raw.once('close', () => {
      const at = this.waiting.indexOf(waiter);
      if (at !== -1) this.waiting.splice(at, 1);
    });
  }

  private start(reply: FastifyReply, proceed: () => void): void {
    this.inFlight++;
    reply.raw.once('close', () => {
      this.inFlight--;
      const next = this.waiting.shift();
      if (next) this.start(next.reply, next.proceed);
    });
    proceed();
  }
}

function isLargeUpload(request: FastifyRequest): boolean {
  const headers = request.headers;
  // A compressed body may decode to far more than it declares.
  if (headers['transfer-encoding'] !== undefined || contentEncoding(headers['content-encoding']) !== null) return true;
  const length = Number(headers['content-length'] ?? 0);
  return !Number.isFinite(length) || length > CONNECTION_LIMITS.largeUploadBytes;
}

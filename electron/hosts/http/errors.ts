import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../../shared/errors.js';

/** The largest JSON body the API routes read (the metering proxy has its own limit). */
export const BODY_LIMIT = 2 * 1024 * 1024;
/**
 * A forwarded batch may hold 5,000 full request records (with project paths, session and response
 * ids, about 500 bytes each) plus runs and circuit states: more than the 2 MiB of other bodies.
 */
export const FORWARD_BODY_LIMIT = 4 * BODY_LIMIT;

/** Everything that goes wrong leaves as `{ error: { code, message, details? } }` with its status. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        'payload_too_large',
        `the request body is larger than the server accepts (${BODY_LIMIT / 1_048_576} MiB, ${FORWARD_BODY_LIMIT / 1_048_576} MiB for POST /forward); send smaller batches`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('bad_request', 'the body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('bad_request', 'Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('bad_request', 'the URL is not valid: percent-escapes must encode UTF-8 (e.g. %2F), and path segments are at most 100 characters');
    default:
      break;
  }
  // A sum that would leave SQLite's 64-bit integers becomes a REAL, which the STRICT tables refuse;
  // the transaction is rolled back, so this is the input's fault and nothing was stored.
  if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_DATATYPE') {
    return new ApiError('bad_request', 'the numbers are too large to add up exactly; nothing was stored');
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new ApiError('bad_request', `the body is not valid JSON: ${(error as Error).message}`);
  }
  return new ApiError('internal', 'internal error; see the server log');
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  // A body the request has not finished sending is not read to the end just to be thrown away
  // (an unauthenticated or oversized upload): the connection closes after the answer instead.
  if (!reply.request.raw.complete) reply.header('Connection', 'close');
  const body = error.toBody();
  if (error.code === 'internal') body.requestId = reply.request.id;
  return reply.code(error.status).type('application/json').send({ error: body });
}

/** Where internal errors are written: the host's log (stderr for `serve`). */
export type ErrorLog = (message: string) => void;

export function createErrorHandler(log: ErrorLog) {
  return function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const apiError = toApiError(error);
    if (apiError.code === 'internal') {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`modelmeter: internal error on ${request.method} ${request.url.split('?')[0]} (request ${request.id}): ${detail}`);
    }
    return sendError(reply, apiError);
  };
}

/**
 * Errors Node's HTTP parser meets before there is a request (bad syntax, a request line or headers over
 * the size limit, a request that took too long): the same JSON error shape as everything else. The
 * socket is half-closed and still drained for a moment, because closing it with unread input (the
 * rest of a long URL) would reset the connection before the client reads the answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let apiError: ApiError;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    apiError = new ApiError('payload_too_large', 'the request line and headers are larger than the server accepts (16 KiB); put long values in the body');
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    apiError = new ApiError('bad_request', 'the request took too long to arrive; the connection is closed');
  } else {
    apiError = new ApiError('bad_request', `the request is not valid HTTP (${error.code ?? 'parse error'})`);
  }
  if (socket.writable) {
    const body = JSON.stringify({ error: apiError.toBody() });
    socket.end(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status] ?? 'Error'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.resume();
  setTimeout(() => socket.destroy(), 2_000).unref();
}

import type { Readable } from 'node:stream';
import { errorCodes, type FastifyRequest } from 'fastify';
import { ApiError } from '../../../shared/errors.js';
import { contentEncoding, decodedBody, decodeError } from './body-encoding.js';
import { bodyText, scanJson, type JsonLimits, type JsonPieces } from './json-body.js';

/**
 * Bytes per piece of a large body: each piece is decoded to a string below V8's 128 KiB bound for
 * ordinary heap objects (past it, every string gets fresh pages of its own), then parsed.
 */
export const PIECE_BYTES = 64 * 1024;

/** Fastify's own JSON parser for a whole text: it refuses prototype poisoning. */
export type WholeTextParser = (request: FastifyRequest, text: string, done: (error: Error | null, body?: unknown) => void) => void;

export interface JsonReaderOptions {
  parseWhole: WholeTextParser;
  limitsFor(request: FastifyRequest): JsonLimits | undefined;
}

/**
 * The API's JSON body parser (a Fastify content-type parser that reads the stream itself). A batch
 * of records is parsed in pieces straight from the bytes that arrived, never as one string or one
 * buffer: the body's shape is checked in the same pass (json-body.ts). Every other body is decoded
 * whole: parsed at once when the scan found no "__proto__" or "constructor", else (or when it is not
 * valid JSON) handed to Fastify's parser, so its refusals and error messages are Fastify's.
 */
export function jsonBodyReader(options: JsonReaderOptions) {
  return (request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: unknown) => void): void => {
    // The route's own limit, else the server's (Fastify fills it in).
    collectBody(request, payload, request.routeOptions.bodyLimit, (error, chunks, length) => {
      if (error !== null) return done(error, undefined);
      const scan = scanJson(chunks, options.limitsFor(request), PIECE_BYTES);
      if (scan.problem !== null) return done(new ApiError('payload_too_large', `${scan.problem}; send smaller batches`), undefined);
      if (scan.pieces !== null && !scan.reservedName) {
        const value = parsePieces(chunks, scan.pieces);
        if (value !== undefined) return done(null, value);
      }
      const text = bodyText(chunks, 0, length);
      if (text.trim() === '') return done(null, undefined);
      // The scan found no "__proto__" or "constructor": the checked parser would only search for them
      // again before the same JSON.parse. What JSON.parse refuses goes to it, for its own error.
      if (!scan.reservedName) {
        const value = parseOrUndefined(text);
        if (value !== undefined) return done(null, value);
      }
      options.parseWhole(request, text, done);
    });
  };
}

/**
 * The body's value from its pieces, each parsed as an array of the elements it holds; undefined when
 * a piece is not a non-empty list of JSON values (then the whole text is parsed, for its error).
 */
export function parsePieces(chunks: readonly Uint8Array[], pieces: JsonPieces): unknown {
  const records: unknown[] = [];
  const { bounds } = pieces;
  for (let i = 0; i < bounds.length; i += 2) {
    const part = parseOrUndefined(`[${bodyText(chunks, bounds[i]!, bounds[i + 1]!)}]`) as unknown[] | undefined;
    // "[ ,1]" cut before its comma would read as two valid pieces, the first empty.
    if (part === undefined || part.length === 0) return undefined;
    for (const element of part) records.push(element);
  }
  return pieces.wrapped ? { records } : records;
}

/** JSON.parse's value, or undefined when it refuses the text (valid JSON never reads as undefined). */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Collected = (error: Error | null, chunks: Uint8Array[], length: number) => void;

/** The body's chunks as they arrived, within `limit` bytes and matching Content-Length (as Fastify checks them). */
function collectBody(request: FastifyRequest, raw: Readable, limit: number, collected: Collected): void {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return collected(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), [], 0);
  // A compressed body: the limit counts what it decodes to, and Content-Length the bytes sent.
  const encoding = contentEncoding(request.headers['content-encoding']);
  let payload: Readable;
  try {
    payload = decodedBody(encoding, raw);
  } catch (error) {
    return collected(error as Error, [], 0);
  }
  let sent = 0;
  if (encoding !== null) raw.on('data', (chunk: Buffer | string) => (sent += chunk.length));
  const chunks: Uint8Array[] = [];
  let length = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
    if (payload !== raw) payload.destroy();
  };
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > limit) {
      stop();
      collected(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), [], 0);
      return;
    }
    chunks.push(bytes);
  };
  const onEnd = (error?: Error & { statusCode?: number }) => {
    stop();
    if (error) {
      if (encoding !== null && typeof error.statusCode !== 'number') return collected(decodeError(encoding, error), [], 0);
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
      return collected(error, [], 0);
    }
    if (!Number.isNaN(declared) && (encoding === null ? length : sent) !== declared) return collected(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), [], 0);
    collected(null, chunks, length);
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

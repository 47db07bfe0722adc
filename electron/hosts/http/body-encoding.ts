import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ApiError } from '../../../shared/errors.js';

/** The Content-Encodings a body may come in, and what undoes each (Node's zlib). */
const DECODERS: Readonly<Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** The encoding a request names, lower case, or null for none (absent or identity). */
export function contentEncoding(header: string | string[] | undefined): string | null {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  return value === '' || value === 'identity' ? null : value;
}

/**
 * The body's bytes as the client wrote them before compressing: `payload` itself when it is not
 * encoded, else `payload` through the matching decoder. A client batching thousands of records may
 * gzip them; the body limits count the decoded bytes (the caller stops reading past them, so a small
 * body that inflates without end is cut off). An encoding the API cannot read is a 415 naming it.
 */
export function decodedBody(encoding: string | null, payload: Readable): Readable {
  if (encoding === null) return payload;
  const decoder = DECODERS[encoding];
  if (decoder === undefined) {
    throw new ApiError('unsupported_media_type', `Content-Encoding "${encoding}" is not read here: send the body uncompressed, or as gzip, deflate or br`);
  }
  const decoded = decoder();
  payload.on('error', (error: Error) => decoded.destroy(error));
  decoded.on('error', () => payload.unpipe(decoded));
  return payload.pipe(decoded);
}

/** A decoder's refusal (a truncated or corrupt body) as the API's error. */
export function decodeError(encoding: string, error: Error): ApiError {
  return new ApiError('bad_request', `the body is not valid ${encoding}: ${error.message}`);
}

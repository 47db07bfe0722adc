import zlib from 'node:zlib';
import type { ProxyProtocol } from '../../../../../shared/schemas/integrations.js';
import { createUsageTap, type TapResult } from '../../../../../electron/sources/proxy/protocols/index.js';

export interface TapOptions {
  path?: string;
  status?: number;
  contentType?: string;
  contentEncoding?: string;
}

/** Feeds `body` to a fresh tap in the given chunks (as one piece when none are given). */
export async function tapChunks(protocol: ProxyProtocol, options: TapOptions, chunks: readonly Buffer[]): Promise<TapResult> {
  const tap = createUsageTap(protocol, {
    path: options.path ?? '/',
    status: options.status ?? 200,
    contentType: options.contentType,
    contentEncoding: options.contentEncoding,
  });
  for (const chunk of chunks) tap.push(chunk);
  return tap.finish();
}

export function tapBody(protocol: ProxyProtocol, options: TapOptions, body: string | Buffer): Promise<TapResult> {
  return tapChunks(protocol, options, [typeof body === 'string' ? Buffer.from(body) : body]);
}

/** Splits at the given byte offsets (sorted, within the body). */
export function splitAt(body: Buffer, offsets: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    parts.push(body.subarray(from, offset));
    from = offset;
  }
  parts.push(body.subarray(from));
  return parts;
}

export function sse(events: readonly { event?: string; data: unknown }[], separator = '\n\n'): string {
  return events
    .map(({ event, data }) => `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}${separator}`)
    .join('');
}

export const SSE = 'text/event-stream; charset=utf-8';
export const JSON_TYPE = 'application/json';
export const NDJSON = 'application/x-ndjson';

export const gzip = (text: string): Buffer => zlib.gzipSync(Buffer.from(text));

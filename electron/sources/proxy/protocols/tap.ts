import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { ProxyProtocol } from '../../../../shared/schemas/integrations.js';
import { createReader, type UsageReader } from './readers.js';
import { parseRange, scanTopLevel } from './json-scan.js';
import type { TapResult, UsageTap } from './types.js';

export interface TapInput {
  path: string;
  status: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** Past this a buffered JSON body (or an unterminated line or event) is given up: usage null. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

type Framing = 'sse' | 'ndjson' | 'json';

function framingOf(contentType: string | undefined): Framing {
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('text/event-stream')) return 'sse';
  if (type.includes('ndjson') || type.includes('jsonl') || type.includes('json-seq')) return 'ndjson';
  return 'json';
}

/** Analysis of the decoded body text, whatever its framing. */
interface Analyzer {
  write(chunk: Buffer): void;
  end(): void;
  /** True once the analyzer gave up (over the size cap); nothing it saw counts. */
  readonly abandoned: boolean;
}

/** Parses one event or line when the reader says it may matter; malformed text is skipped. */
function feedText(reader: UsageReader, data: string, event: string | undefined): void {
  if (!reader.wants(data, event)) return;
  const first = firstNonSpace(data);
  if (first !== '{' && first !== '[') {
    reader.takeText(data, event);
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(data) as unknown;
  } catch {
    return;
  }
  reader.take(value, event);
}

function firstNonSpace(data: string): string {
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) return data[i] ?? '';
  }
  return '';
}

class SseAnalyzer implements Analyzer {
  abandoned = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;

  constructor(private readonly reader: UsageReader) {
    this.parser = createParser({
      maxBufferSize: MAX_BUFFERED_BYTES,
      onEvent: (message) => feedText(reader, message.data, message.event),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.abandoned = true;
      },
    });
  }

  write(chunk: Buffer): void {
    if (this.abandoned) return;
    this.parser.feed(this.decoder.write(chunk));
  }

  end(): void {
    if (this.abandoned) return;
    const rest = this.decoder.end();
    if (rest !== '') this.parser.feed(rest);
    // A cut stream's last event may lack its closing blank line while its data is whole: close it.
    this.parser.feed('\n\n');
  }
}

class NdjsonAnalyzer implements Analyzer {
  abandoned = false;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly reader: UsageReader) {}

  write(chunk: Buffer): void {
    if (this.abandoned) return;
    const text = this.decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n');
    if (newline < 0) {
      this.pending += text;
      if (this.pending.length > MAX_BUFFERED_BYTES) this.abandon();
      return;
    }
    this.line(this.pending + text.slice(0, newline));
    this.pending = '';
    start = newline + 1;
    while ((newline = text.indexOf('\n', start)) >= 0) {
      this.line(text.slice(start, newline));
      start = newline + 1;
    }
    this.pending = text.slice(start);
  }

  end(): void {
    if (this.abandoned) return;
    this.line(this.pending + this.decoder.end());
    this.pending = '';
  }

  private line(line: string): void {
    if (line.trim() !== '') feedText(this.reader, line, undefined);
  }

  private abandon(): void {
    this.abandoned = true;
    this.pending = '';
  }
}

/**
 * Every top-level field of a JSON answer that a reader (readers.ts) looks at, in any protocol; the
 * others (the generated text, embeddings) are skipped unparsed.
 */
const READ_KEYS: ReadonlySet<string> = new Set([
  'type', 'error', 'message', 'code', 'response', 'model', 'object', 'id', 'usage', 'timings', 'done',
  'prompt_eval_count', 'eval_count', 'modelVersion', 'responseId', 'usageMetadata',
]);

/**
 * Below this an answer is parsed whole: JSON.parse is native and its garbage short-lived. Above it the
 * answer's text is skipped (the scan finds the fields; strings are jumped over with indexOf).
 */
export const SCAN_JSON_ABOVE_BYTES = 8 * 1024;

/**
 * Plain JSON, buffered and read at the end. Also Gemini's streamed JSON array (read element by
 * element, so a cut array still yields what arrived) and, leniently, an untyped body that turns out
 * to be SSE or NDJSON.
 */
class JsonAnalyzer implements Analyzer {
  abandoned = false;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly reader: UsageReader) {}

  write(chunk: Buffer): void {
    if (this.abandoned) return;
    this.size += chunk.length;
    if (this.size > MAX_BUFFERED_BYTES) {
      this.abandoned = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(chunk);
  }

  end(): void {
    if (this.abandoned || this.size === 0) return;
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [];
    // One JSON object, as most answers are: only the top-level fields a reader looks at are parsed,
    // never the answer's text (choices, content, candidates, embeddings...).
    const scan = body.length > SCAN_JSON_ABOVE_BYTES ? scanTopLevel(body, READ_KEYS) : null;
    if (scan !== null) {
      const fields: Record<string, unknown> = {};
      for (const [key, range] of scan.values) {
        const value = parseRange(body, range);
        if (value !== undefined) fields[key] = value;
      }
      this.reader.take(fields, undefined);
      return;
    }
    const text = body.toString('utf8');
    const first = firstNonSpace(text);
    if (first === '[') {
      for (const element of arrayElements(text)) feedText(this.reader, element, undefined);
      return;
    }
    if (first === '{') {
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        // Several objects, one a line, sent without an NDJSON content type.
        for (const line of text.split('\n')) if (line.trim() !== '') feedText(this.reader, line, undefined);
        return;
      }
      this.reader.take(value, undefined);
      return;
    }
    if (/^(?:data|event|id|retry)?:/m.test(text.slice(0, 64))) {
      const sse = new SseAnalyzer(this.reader);
      sse.write(Buffer.from(text));
      sse.end();
    }
  }
}

/**
 * The complete top-level elements of a JSON array, in order; a truncated last element is left out.
 * Elements are found by bracket depth outside strings, then parsed by the caller.
 */
export function arrayElements(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (depth === 1 && start < 0) start = i;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 1 && start < 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 1 && start >= 0) {
        elements.push(text.slice(start, i + 1));
        start = -1;
      }
      if (depth <= 0) break;
    } else if (c === 0x2c && depth === 1) {
      if (start >= 0) elements.push(text.slice(start, i));
      start = -1;
    } else if (depth === 1 && start < 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      start = i;
    }
  }
  return elements;
}

function createDecompressor(encoding: string): Transform | null {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      // Sync flush at the end: a cut stream yields what it decoded instead of an error.
      return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return null;
  }
}

/** HTTP `deflate` should be zlib-wrapped, but some servers send raw deflate: tell them apart by the header byte. */
function createInflater(firstByte: number): Transform {
  const zlibWrapped = (firstByte & 0x0f) === 0x08;
  return zlibWrapped
    ? zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    : zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

class Tap implements UsageTap {
  private readonly reader: UsageReader;
  private readonly analyzer: Analyzer;
  private readonly encoding: string;
  private decompressor: Transform | null = null;
  private decompressionDone: Promise<void> | null = null;
  private unreadable = false;
  private finished = false;

  constructor(
    protocol: ProxyProtocol,
    private readonly input: TapInput,
  ) {
    this.reader = createReader(protocol);
    const framing = framingOf(input.contentType);
    this.analyzer =
      framing === 'sse' ? new SseAnalyzer(this.reader) : framing === 'ndjson' ? new NdjsonAnalyzer(this.reader) : new JsonAnalyzer(this.reader);
    this.encoding = (input.contentEncoding ?? '').trim().toLowerCase();
    if (this.encoding !== '' && this.encoding !== 'identity' && this.encoding !== 'deflate') {
      this.decompressor = createDecompressor(this.encoding);
      if (this.decompressor === null) this.unreadable = true;
      else this.attach(this.decompressor);
    }
  }

  push(chunk: Buffer): void {
    if (this.finished || this.unreadable || chunk.length === 0) return;
    try {
      if (this.encoding === 'deflate' && this.decompressor === null) {
        this.decompressor = createInflater(chunk[0] ?? 0);
        this.attach(this.decompressor);
      }
      if (this.decompressor !== null) this.decompressor.write(chunk);
      else this.analyzer.write(chunk);
    } catch {
      this.unreadable = true;
    }
  }

  private attach(stream: Transform): void {
    stream.on('data', (data: Buffer) => {
      try {
        this.analyzer.write(data);
      } catch {
        this.unreadable = true;
      }
    });
    this.decompressionDone = new Promise((resolve) => {
      stream.once('end', resolve);
      stream.once('error', () => resolve());
    });
  }

  async finish(): Promise<TapResult> {
    if (!this.finished) {
      this.finished = true;
      if (this.decompressor !== null && this.decompressionDone !== null) {
        this.decompressor.end();
        await this.decompressionDone;
        this.decompressor.destroy();
      }
      this.endAnalyzer();
    }
    return this.result();
  }

  finishNow(): TapResult | null {
    // A compressed body is decoded by a stream: only the asynchronous finish() can wait for it.
    if (this.decompressor !== null) return null;
    if (!this.finished) {
      this.finished = true;
      this.endAnalyzer();
    }
    return this.result();
  }

  private endAnalyzer(): void {
    if (this.unreadable) return;
    try {
      this.analyzer.end();
    } catch {
      this.unreadable = true;
    }
  }

  private result(): TapResult {
    if (this.unreadable || this.analyzer.abandoned) return { usage: null, model: null, responseId: null, streamError: null, streamErrorCode: null };
    const usage = this.reader.usage();
    if (this.input.status < 200 || this.input.status >= 300) return { usage, model: null, responseId: null, streamError: null, streamErrorCode: null };
    return { usage, model: this.reader.model, responseId: this.reader.responseId, streamError: this.reader.error, streamErrorCode: this.reader.errorCode };
  }
}

export function createUsageTap(protocol: ProxyProtocol, input: TapInput): UsageTap {
  return new Tap(protocol, input);
}

import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { LedgerEvent } from '../types.js';

/** How the event stream reaches the server: the client supplies the authorized request. */
export type OpenStream = (signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;

/**
 * The server-sent events of `GET /api/v1/events` as an async iterator of ledger events. It connects at
 * once, so `opened` can be awaited before causing the changes one wants to see. Chunks are read only
 * while the consumer asks for events: a consumer that stops reading holds back the socket, not memory.
 * The stream ends when the server closes it, on `close()`, on `break` out of a for-await loop, or
 * when the caller's signal aborts; it does not reconnect by itself.
 */
export class LedgerEventStream implements AsyncIterableIterator<LedgerEvent> {
  /** Settles when the server has said hello: from then on no change is missed. */
  readonly opened: Promise<void>;

  private readonly abort = new AbortController();
  private readonly queue: LedgerEvent[] = [];
  private readonly parser: EventSourceParser;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private readonly decoder = new TextDecoder();
  private hello = false;
  private ended = false;
  // next() calls are answered one after another, so two readers never share the socket.
  private turn: Promise<unknown> = Promise.resolve();

  constructor(open: OpenStream, signal?: AbortSignal) {
    this.parser = createParser({ onEvent: (message) => this.onMessage(message) });
    if (signal?.aborted) this.abort.abort();
    signal?.addEventListener('abort', () => this.close(), { once: true });
    this.opened = this.connect(open);
    // Awaiting `opened` is optional; a failure still reaches whoever awaits it or calls next().
    this.opened.catch(() => undefined);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LedgerEvent, undefined>> {
    const result = this.turn.then(() => this.take());
    this.turn = result.catch(() => undefined);
    return result;
  }

  async return(): Promise<IteratorResult<LedgerEvent, undefined>> {
    this.close();
    return { done: true, value: undefined };
  }

  /** Ends the stream and releases the connection; events already received are dropped. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.abort.abort();
    this.reader?.cancel().catch(() => undefined);
  }

  private async connect(open: OpenStream): Promise<void> {
    let body: ReadableStream<Uint8Array>;
    try {
      body = await open(this.abort.signal);
    } catch (error) {
      // Closed before the server answered: an empty stream, not a failure.
      if (this.ended) return;
      this.ended = true;
      throw error;
    }
    if (this.ended) {
      body.cancel().catch(() => undefined);
      return;
    }
    this.reader = body.getReader();
    while (!this.hello) {
      if (!(await this.pull())) return;
    }
  }

  private async take(): Promise<IteratorResult<LedgerEvent, undefined>> {
    await this.opened;
    for (;;) {
      const event = this.queue.shift();
      if (event) return { done: false, value: event };
      if (this.ended) return { done: true, value: undefined };
      await this.pull();
    }
  }

  /** Reads one chunk into the parser; false once the stream is over. */
  private async pull(): Promise<boolean> {
    if (this.ended || !this.reader) return false;
    let chunk: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
    try {
      chunk = await this.reader.read();
    } catch (error) {
      // Our own close() aborts the read; anything else is the connection failing.
      if (this.ended) return false;
      this.ended = true;
      throw error;
    }
    if (chunk.done) {
      this.ended = true;
      return false;
    }
    this.parser.feed(this.decoder.decode(chunk.value, { stream: true }));
    return true;
  }

  private onMessage(message: EventSourceMessage): void {
    if (message.event === 'hello') {
      this.hello = true;
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string') {
      this.queue.push(event as LedgerEvent);
    }
  }
}

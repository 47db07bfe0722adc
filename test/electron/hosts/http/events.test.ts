import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEvent } from '../../../../shared/types.js';
import { HOUR, startServer, type TestServer } from './helpers.js';

const T0 = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;
const WAIT_MS = 5_000;

interface SseMessage {
  event: string;
  data: unknown;
}

/**
 * A reader of GET /api/v1/events through fetch (a browser's EventSource cannot send the token).
 * `next` waits for the next message that matches, and fails instead of hanging.
 */
class EventStream {
  private buffer = '';
  private readonly queue: SseMessage[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly done: Promise<void>;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.buffer += decoder.decode(value, { stream: true });
          this.drain();
        }
      } catch {
        // aborted
      } finally {
        this.ended = true;
        this.waiter?.();
      }
    })();
  }

  static async open(server: TestServer): Promise<EventStream> {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${server.token}` }, signal: controller.signal });
    return new EventStream(response, controller);
  }

  private drain(): void {
    for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      this.queue.push({ event, data: JSON.parse(data.join('\n')) as unknown });
    }
    this.waiter?.();
  }

  /** The next message whose event name is `event` (earlier others are skipped). */
  async next(event: string, what = event): Promise<SseMessage> {
    const deadline = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${what}" event within ${WAIT_MS} ms`)), WAIT_MS);
      timer.unref();
    });
    const found = (async () => {
      for (;;) {
        const index = this.queue.findIndex((message) => message.event === event);
        if (index !== -1) return this.queue.splice(0, index + 1).pop()!;
        if (this.ended) throw new Error(`the stream ended before a "${what}" event`);
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    })();
    return Promise.race([found, deadline]);
  }

  close(): void {
    this.controller.abort();
  }
}

let server: TestServer;
let streams: EventStream[] = [];
beforeEach(async () => {
  server = await startServer();
  streams = [];
});
afterEach(async () => {
  for (const stream of streams) stream.close();
  await server.close();
});

async function open(): Promise<EventStream> {
  const stream = await EventStream.open(server);
  streams.push(stream);
  // The server says hello first: from then on it is subscribed.
  await stream.next('hello');
  return stream;
}

describe('GET /api/v1/events', () => {
  it('is an event stream that starts with hello', async () => {
    const stream = await EventStream.open(server);
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await stream.next('hello')).toMatchObject({ event: 'hello', data: { type: 'hello' } });
  });

  it('announces committed requests with their count and models', async () => {
    const stream = await open();
    await server.post('/api/v1/requests', [
      { ts: T0, model: 'a' },
      { ts: T0, model: 'b' },
      { ts: T0, model: 'a' },
    ]);
    const message = await stream.next('requests');
    const data = message.data as Extract<LedgerEvent, { type: 'requests' }>;
    expect(data.type).toBe('requests');
    expect(data.count).toBe(3);
    expect([...data.models].sort()).toEqual(['a', 'b']);
  });

  it('announces nothing for a rejected batch or a batch of duplicates', async () => {
    const stream = await open();
    await server.post('/api/v1/requests', { ts: T0, model: 'first', requestId: 'x' });
    expect((await stream.next('requests')).data).toMatchObject({ count: 1, models: ['first'] });
    expect((await server.call('POST', '/api/v1/requests', { json: [{ model: 'bad' }, { model: 'bad', inputTokens: -1 }] })).status).toBe(400);
    await server.post('/api/v1/requests', { ts: T0, model: 'dup', requestId: 'x' });
    await server.post('/api/v1/requests', { ts: T0, model: 'second' });
    // The next announcement is the last post: the two before it announced nothing.
    expect((await stream.next('requests')).data).toMatchObject({ count: 1, models: ['second'] });
  });

  it('announces run starts and stops with the run', async () => {
    const stream = await open();
    await server.post('/api/v1/runs', { model: 'm', event: 'start', ts: T0 });
    expect((await stream.next('runs')).data).toMatchObject({ type: 'runs', model: 'm', run: { model: 'm', running: true, start: T0 } });
    await server.post('/api/v1/runs', { model: 'm', event: 'stop', ts: T0 + HOUR });
    expect((await stream.next('runs')).data).toMatchObject({ type: 'runs', model: 'm', run: { running: false, end: T0 + HOUR } });
  });

  it('announces price changes', async () => {
    const stream = await open();
    await server.put('/api/v1/pricing/Qwen/Qwen3-32B', { method: 'none' });
    expect((await stream.next('pricing')).data).toEqual({ type: 'pricing', model: 'Qwen/Qwen3-32B' });
    await server.del('/api/v1/pricing/Qwen%2FQwen3-32B');
    expect((await stream.next('pricing')).data).toEqual({ type: 'pricing', model: 'Qwen/Qwen3-32B' });
  });

  it('announces circuit transitions and resets', async () => {
    const stream = await open();
    await server.put('/api/v1/circuits', { metricsKey: 'abcdefabcdefabcd', apiType: 'openai', state: 'open' });
    expect((await stream.next('circuits')).data).toEqual({ type: 'circuits', metricsKey: 'abcdefabcdefabcd', apiType: 'openai', state: 'open' });
    await server.post('/api/v1/circuits/abcdefabcdefabcd/reset?apiType=openai');
    expect((await stream.next('circuits')).data).toEqual({ type: 'circuits', metricsKey: 'abcdefabcdefabcd', apiType: 'openai', state: 'closed' });
  });

  it('announces deletions and cleanups as data changes', async () => {
    const stream = await open();
    await server.post('/api/v1/requests', { ts: T0, model: 'm' });
    await server.del('/api/v1/models/m');
    expect((await stream.next('data')).data).toEqual({ type: 'data', reason: 'model-deleted' });
    await server.post('/api/v1/maintenance/cleanup', { before: T0 });
    expect((await stream.next('data')).data).toEqual({ type: 'data', reason: 'cleanup' });
  });

  it('sends every event to every connected client', async () => {
    const a = await open();
    const b = await open();
    await server.post('/api/v1/requests', { ts: T0, model: 'shared' });
    expect((await a.next('requests')).data).toMatchObject({ models: ['shared'] });
    expect((await b.next('requests')).data).toMatchObject({ models: ['shared'] });
  });

  it('unsubscribes a client that disconnects', async () => {
    const stream = await open();
    const events = server.core.service.events;
    expect(events.listenerCount).toBeGreaterThanOrEqual(1);
    const before = events.listenerCount;
    stream.close();
    await stream.done;
    // Wait (bounded) for the server to notice the closed socket.
    for (let i = 0; i < 200 && events.listenerCount >= before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events.listenerCount).toBe(before - 1);
  });

  it('lets the server close while a client is still connected', async () => {
    const stream = await open();
    let closed = false;
    const closing = server.core.close().then(() => (closed = true));
    await Promise.race([
      closing,
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`close() did not finish within ${WAIT_MS} ms with a client connected`)), WAIT_MS).unref()),
    ]);
    expect(closed).toBe(true);
    await stream.done;
  });
});

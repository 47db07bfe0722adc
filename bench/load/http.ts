import http from 'node:http';

/** Plain node:http calls with their timing: the load generator must cost the shared CPU little. */

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

export interface CallOptions {
  agent: http.Agent;
  port: number;
  method: string;
  path: string;
  token?: string;
  body?: Buffer | string;
  /** Abandon the call after this long (answers status 0). */
  timeoutMs?: number;
}

export function call(options: CallOptions): Promise<Answer> {
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const headers: http.OutgoingHttpHeaders = {};
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = body.length;
  }
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.request({ host: '127.0.0.1', port: options.port, path: options.path, method: options.method, agent: options.agent, headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started }));
      response.on('error', () => resolve({ status: 0, text: 'response error', ms: performance.now() - started }));
    });
    if (options.timeoutMs !== undefined) request.setTimeout(options.timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ status: 0, text: error.message, ms: performance.now() - started }));
    request.end(body);
  });
}

/** One server-sent event as it arrived. */
export interface StreamedEvent {
  event: string;
  data: string;
  /** performance.now() when the chunk holding it arrived. */
  at: number;
}

export interface Subscription {
  close(): void;
  /** Resolves once the server's `hello` event has arrived. */
  ready: Promise<void>;
}

/**
 * A subscriber of `GET /api/v1/events`, as an open dashboard tab is: parses the stream and hands
 * each event on. Comments (keep-alives) are skipped.
 */
export function subscribe(port: number, token: string, onEvent: (event: StreamedEvent) => void): Subscription {
  let request: http.ClientRequest | null = null;
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  request = http.get({ host: '127.0.0.1', port, path: '/api/v1/events', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
    if (response.statusCode !== 200) {
      failReady(new Error(`event stream answered ${response.statusCode}`));
      response.resume();
      return;
    }
    response.setEncoding('utf8');
    let pending = '';
    response.on('data', (text: string) => {
      const at = performance.now();
      pending += text;
      const blocks = pending.split('\n\n');
      pending = blocks.pop() ?? '';
      for (const block of blocks) {
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length === 0) continue;
        if (event === 'hello') markReady();
        onEvent({ event, data: data.join('\n'), at });
      }
    });
    response.on('error', () => {});
  });
  request.on('error', (error) => failReady(error));
  return {
    ready,
    close: () => request?.destroy(),
  };
}

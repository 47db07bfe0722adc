import http from 'node:http';

export const CRASH_TOKEN = 'crash-harness-token-0123456789';

export interface Reply {
  status: number;
  text: string;
  /** The whole body arrived (a kill can cut a response after its status line). */
  complete: boolean;
}

/**
 * How a call ended: answered (any status), refused (nothing reached the server, so nothing can have
 * been stored), or lost (sent, then the connection broke before an answer: the server may or may not
 * have acted on it).
 */
export type Outcome = { kind: 'answered'; reply: Reply } | { kind: 'refused'; error: string } | { kind: 'lost'; error: string };

export interface CallOptions {
  agent?: http.Agent;
  method: string;
  path: string;
  body?: unknown;
  /** Sent as-is instead of `body` (the proxy path sends its own bytes). */
  raw?: Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Leave out the API token (the proxy route holds no key and needs none). */
  anonymous?: boolean;
}

export function call(port: number, options: CallOptions): Promise<Outcome> {
  const payload = options.raw ?? (options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body)));
  const headers: Record<string, string | number> = { ...options.headers };
  if (!options.anonymous) headers['authorization'] = `Bearer ${CRASH_TOKEN}`;
  if (payload) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = payload.length;
  }
  return new Promise((resolve) => {
    let sent = false;
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      resolve(outcome);
    };
    const request = http.request(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers, agent: options.agent ?? false, timeout: options.timeoutMs ?? 30_000 },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        const answered = () => finish({ kind: 'answered', reply: { status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), complete: response.complete } });
        response.on('end', answered);
        // The status line arrived, so the server answered; a body cut off after it keeps that status.
        response.on('error', answered);
        response.on('aborted', answered);
        response.on('close', answered);
      },
    );
    request.on('socket', (socket) => {
      // A reused keep-alive socket is already connected: the request goes out at once.
      if (!socket.connecting) sent = true;
      else socket.once('connect', () => (sent = true));
    });
    request.on('timeout', () => request.destroy(new Error(`${options.method} ${options.path} timed out`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const refused = !sent && (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE');
      finish(refused ? { kind: 'refused', error: error.code ?? error.message } : { kind: 'lost', error: error.code ?? error.message });
    });
    request.end(payload);
  });
}

/** A call that must be answered with a 2xx (setup and checks between kills); answers the parsed body. */
export async function callJson<T>(port: number, options: CallOptions): Promise<T> {
  const outcome = await call(port, options);
  if (outcome.kind !== 'answered') throw new Error(`${options.method} ${options.path}: no answer (${outcome.error})`);
  if (outcome.reply.status < 200 || outcome.reply.status > 299) {
    throw new Error(`${options.method} ${options.path} answered ${outcome.reply.status}: ${outcome.reply.text.slice(0, 300)}`);
  }
  return (outcome.reply.text ? JSON.parse(outcome.reply.text) : null) as T;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

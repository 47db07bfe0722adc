import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

/** Where a channel's base URL points, parsed once. */
export interface UpstreamBase {
  secure: boolean;
  hostname: string;
  port: number;
  /** `host[:port]` for the Host header. */
  host: string;
  /** The base URL's path, without a trailing slash ('' for the root). */
  path: string;
}

const bases = new Map<string, UpstreamBase>();

export function parseBase(baseUrl: string): UpstreamBase {
  let base = bases.get(baseUrl);
  if (base) return base;
  const url = new URL(baseUrl);
  const secure = url.protocol === 'https:';
  base = {
    secure,
    // node:http wants an IPv6 address without its brackets.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    host: url.host,
    path: url.pathname.replace(/\/+$/, ''),
  };
  if (bases.size > 1_000) bases.clear();
  bases.set(baseUrl, base);
  return base;
}

export interface UpstreamRequest {
  base: UpstreamBase;
  method: string;
  /** Path and query after the base URL's path: `/v1/chat/completions?x=1`. */
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export type HeadersOutcome =
  | { kind: 'response'; response: IncomingMessage; request: ClientRequest }
  | { kind: 'error'; reason: string; timeout: boolean };

export interface PendingUpstream {
  outcome: Promise<HeadersOutcome>;
  /** Gives up on the request (the client went away). */
  abort(): void;
}

/** Keep-alive connection pools to the upstreams, one pair per proxy. */
export class UpstreamAgents {
  readonly http = new http.Agent({ keepAlive: true, keepAliveMsecs: 1_000, scheduling: 'lifo' });
  readonly https = new https.Agent({ keepAlive: true, keepAliveMsecs: 1_000, scheduling: 'lifo' });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset before the response';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return error.code ? `${error.code}: ${error.message}` : error.message;
  }
}

/** Why node:http refused to build a request; never the header's value (it may be a key). */
function unsendable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_INVALID_CHAR') return 'a header holds a character HTTP does not allow, such as a line break in the API key';
  return code ?? 'invalid request';
}

/**
 * Sends one request and waits for the response headers, at most `timeoutMs`. A pooled connection
 * that the upstream closed while idle fails at once with a reset: that attempt is repeated once on a
 * fresh connection, since the upstream never saw the request.
 */
export function sendUpstream(agents: UpstreamAgents, target: UpstreamRequest, timeoutMs: number): PendingUpstream {
  let current: ClientRequest | null = null;
  let aborted = false;
  let settle: (outcome: HeadersOutcome) => void = () => {};
  const outcome = new Promise<HeadersOutcome>((resolve) => {
    settle = resolve;
  });
  let done = false;
  const finish = (result: HeadersOutcome) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    settle(result);
  };
  const timer = setTimeout(() => {
    finish({ kind: 'error', reason: `no response within ${Math.round(timeoutMs / 1000)} s`, timeout: true });
    current?.destroy();
  }, timeoutMs);

  const send = (retry: boolean) => {
    const { base } = target;
    let request: ClientRequest;
    try {
      request = (base.secure ? https : http).request({
        hostname: base.hostname,
        port: base.port,
        method: target.method,
        path: base.path + target.path,
        headers: target.headers,
        agent: base.secure ? agents.https : agents.http,
      });
    } catch (error) {
      // Node refuses a header it cannot send (a held key with a line break, say) before any byte goes
      // out: this channel cannot be called, so it is a failed attempt, which the route fails over.
      finish({ kind: 'error', reason: `the request could not be sent (${unsendable(error)})`, timeout: false });
      return;
    }
    current = request;
    request.on('response', (response) => finish({ kind: 'response', response, request }));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (done || aborted) return;
      if (retry && request.reusedSocket && error.code === 'ECONNRESET') {
        send(false);
        return;
      }
      finish({ kind: 'error', reason: describeError(error), timeout: false });
    });
    request.end(target.body.length > 0 ? target.body : undefined);
  };
  send(true);

  return {
    outcome,
    abort() {
      aborted = true;
      current?.destroy();
      finish({ kind: 'error', reason: 'the client went away', timeout: false });
    },
  };
}

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ProxyProtocol } from '../../../shared/schemas/integrations.js';
import { boundedMemo } from './bounded-memo.js';

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): they never cross
 * the proxy. `expect` too: the proxy already holds the whole body when it calls the upstream.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** Credential headers a client may present; all of them are replaced when the app holds the key. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-goog-api-key'] as const;

/** A Connection header's tokens: nearly every request and answer says `keep-alive`, parsed once. */
const parseConnection = boundedMemo(64, (value: string): ReadonlySet<string> => new Set(value.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean)));

function connectionTokens(headers: IncomingHttpHeaders): ReadonlySet<string> | null {
  const value = headers.connection;
  return value ? parseConnection(value) : null;
}

/** A copy of the headers without hop-by-hop ones (including those the Connection header names). */
export function endToEndHeaders(headers: IncomingHttpHeaders, drop?: ReadonlySet<string>): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named?.has(name) || drop?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Loopback host names as they appear in a Host header or an origin, port removed. */
function isLoopbackHostname(host: string): boolean {
  const name = host.toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

/** Clients send the same Host header request after request: the answer is kept per value. */
const namesLoopback = boundedMemo(64, (host: string): boolean => {
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  return match !== null && isLoopbackHostname(match[1]!);
});

/** `127.0.0.1:7423`, `localhost`, `[::1]:80` ... : a Host header naming this machine's loopback. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host ? namesLoopback(host) : false;
}

/** An Origin header of a page served from loopback (any port); "null" and remote origins are not. */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHostname(url.hostname);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The `key` query parameter (Gemini's way of sending the key), undecoded pairs kept as they came. */
function queryKey(query: string): string | undefined {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name === 'key') return decodeQueryPart(eq < 0 ? '' : pair.slice(eq + 1));
  }
  return undefined;
}

function decodeQueryPart(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * The credential a client presented, in the places the four protocols use: `Authorization: Bearer`,
 * `x-api-key`, `x-goog-api-key`, or Gemini's `key` query parameter. Null when there is none.
 */
export function clientCredential(headers: IncomingHttpHeaders, query: string): string | null {
  const authorization = single(headers.authorization);
  if (authorization) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return bearer ? bearer[1]! : authorization.trim();
  }
  const apiKey = single(headers['x-api-key']) ?? single(headers['x-goog-api-key']);
  if (apiKey) return apiKey.trim();
  const key = query ? queryKey(query) : undefined;
  return key ? key : null;
}

export function sameSecret(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Drops the `key` query parameter; the other parameters keep their order and encoding. */
export function withoutQueryKey(query: string): string {
  if (!query) return query;
  return query
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return (eq < 0 ? pair : pair.slice(0, eq)) !== 'key';
    })
    .join('&');
}

/** Removes every credential the client sent (headers; the caller drops Gemini's query key). */
export function stripCredentials(headers: OutgoingHttpHeaders): void {
  for (const name of CREDENTIAL_HEADERS) delete headers[name];
}

/** Puts the app's key where the protocol expects it. */
export function setCredential(headers: OutgoingHttpHeaders, protocol: ProxyProtocol, apiKey: string): void {
  stripCredentials(headers);
  switch (protocol) {
    case 'anthropic':
      headers['x-api-key'] = apiKey;
      break;
    case 'gemini':
      headers['x-goog-api-key'] = apiKey;
      break;
    case 'openai':
    case 'ollama':
      headers['authorization'] = `Bearer ${apiKey}`;
      break;
  }
}

/**
 * Cookies an upstream sets would land on 127.0.0.1, shared with every other local app (and sent back
 * through the proxy): they are dropped. The upstream's nosniff is replaced by ours.
 */
const RESPONSE_DROP = new Set(['set-cookie', 'set-cookie2', 'x-content-type-options']);

/**
 * Added to every proxied answer: it is served from the app's own origin, so an HTML page an upstream
 * returns must not run script there (a sandboxed document has an opaque origin), nor may a browser
 * sniff a text answer into HTML. A second CSP header only narrows what the upstream's allows.
 */
export const PROXY_RESPONSE_HEADERS: readonly string[] = ['Content-Security-Policy', 'sandbox', 'X-Content-Type-Options', 'nosniff'];

/**
 * Response headers for the client as the upstream wrote them (names' case, order and repeats kept),
 * in Node's raw [name, value, name, value...] form, without hop-by-hop ones and cookies, plus
 * PROXY_RESPONSE_HEADERS.
 */
export function responseRawHeaders(raw: readonly string[], headers: IncomingHttpHeaders): string[] {
  const named = connectionTokens(headers);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || RESPONSE_DROP.has(name) || name.startsWith('proxy-') || named?.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  out.push(...PROXY_RESPONSE_HEADERS);
  return out;
}

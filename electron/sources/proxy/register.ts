import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError, type ErrorCode } from '../../../shared/errors.js';
import { maskKey, metricsKey } from '../../ledger/channels/metrics-key.js';
import type { RuntimeRoute } from '../integrations/integration-config.js';
import type { ProxyPorts } from '../ports.js';
import { boundedMemo } from './bounded-memo.js';
import { BreakerRegistry } from './breakers.js';
import { runExchange, type Exchange, type ExchangeContext, type Target } from './exchange.js';
import { LiveExchanges } from './live-exchanges.js';
import { clientCredential, endToEndHeaders, isLoopbackHost, isLoopbackOrigin, sameSecret, stripCredentials, withoutQueryKey } from './headers.js';
import { inspectRequest, type RequestInfo } from './protocols/index.js';
import { climbsOut } from './path-check.js';
import { proxyTokenFor } from './proxy-token.js';
import { parseBase, UpstreamAgents } from './upstream.js';
import { attributionOf, ATTRIBUTION_HEADERS } from './attribution.js';

export interface ProxyOptions {
  service: ProxyPorts;
  /**
   * The ModelMeter API token: clients present it, or the proxy token derived from it
   * (proxy-token.ts), instead of a key the app holds.
   */
  token: string;
  now?: () => number;
  /** One line per failover step and per breaker transition; never keys or tokens. */
  log?: (message: string) => void;
  /** How soon recorded requests are written (default RECORD_INTERVAL_MS). */
  recordIntervalMs?: number;
}

/** Proxied requests are written at most this long after they end, or as soon as this many wait. */
export const RECORD_INTERVAL_MS = 250;
const RECORD_BATCH = 256;

/** Request bodies as large as the API's (prompts with images run to megabytes). */
const PROXY_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The request's own host header goes, and Content-Length is set again when the body is rewritten.
 * Cookies are for 127.0.0.1, where other local apps set theirs too: they never go upstream.
 */
const DROP_ALWAYS: ReadonlySet<string> = new Set(['host', 'cookie', ...ATTRIBUTION_HEADERS]);
const DROP_REWRITTEN: ReadonlySet<string> = new Set(['host', 'cookie', 'content-length', ...ATTRIBUTION_HEADERS]);

/** The request decoration where the gate leaves its Admission for the handler. */
const ADMISSION = 'modelmeterProxyAdmission';
type AdmittedRequest = FastifyRequest & { [ADMISSION]: Admission | null };

interface Admission {
  route: RuntimeRoute;
  rest: string;
  query: string;
  credential: string | null;
  presentsToken: boolean;
  project: string | null;
  branch: string | null;
}

/**
 * A refused request's body is never read into memory. Node discards an unread body to keep the
 * connection alive, which is cheap for a small one and lets the client read the refusal; a large or
 * open-ended one (chunked) closes the connection instead (the client may then see a reset).
 */
const DISCARD_LIMIT = 1024 * 1024;

function closeInsteadOfDiscard(request: FastifyRequest): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(request.headers['content-length'] ?? 0);
  return !(length <= DISCARD_LIMIT);
}

/** The API's error body (shared/errors.ts), written here so the proxy does not depend on the HTTP host. */
function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send({ error: error.toBody() });
}

function deny(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return sendError(reply, new ApiError(code, message));
}

/** Splits the raw request target into the part after `/r/<route>` and the query, both undecoded. */
function splitTarget(rawUrl: string): { rest: string; query: string } {
  let target = rawUrl;
  if (!target.startsWith('/')) {
    // An absolute-form target ("POST http://127.0.0.1:7423/r/...") names the same path.
    const url = new URL(target);
    target = url.pathname + url.search;
  }
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  const slash = path.indexOf('/', 3);
  return { rest: slash < 0 ? '' : path.slice(slash), query };
}

/**
 * The metering proxy: `/r/<route>/...` forwards to the route's channels (electron/sources/proxy/exchange.ts)
 * and records every attempt. Bodies are taken as raw bytes (the API's JSON parsing must not touch
 * them), and only loopback callers that are not web pages may use it.
 */
export function registerProxy(app: FastifyInstance, options: ProxyOptions): void {
  const { service, token } = options;
  const proxyToken = proxyTokenFor(token);
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => app.log.info(message));
  const breakers = new BreakerRegistry(service, { now, log });
  breakers.start();
  const context: ExchangeContext = {
    breakers,
    agents: new UpstreamAgents(),
    // Small, frequent batches: each flush runs on the event loop every response shares, and what a
    // crash can lose is what waits in the buffer.
    writer: service.createBufferedWriter({ batchSize: RECORD_BATCH, intervalMs: options.recordIntervalMs ?? RECORD_INTERVAL_MS }),
    now,
    log,
    live: new LiveExchanges(),
  };

  // Open streams are cut when the server closes, or close() would wait for them to end.
  app.addHook('preClose', async () => {
    context.live.cutAll();
  });
  app.addHook('onClose', async () => {
    breakers.stop();
    context.writer.close();
    context.agents.destroy();
  });

  /**
   * A route's channels ready to call, for the key the client sent (used where the app holds none):
   * built once per route and key, not per request. Routes are new objects after every change of the
   * configuration (IntegrationConfig.route), so an edited route starts afresh.
   */
  const targetsByRoute = new WeakMap<RuntimeRoute, (clientKey: string) => Target[]>();
  const targetsFor = (route: RuntimeRoute, clientKey: string): Target[] => {
    let forKey = targetsByRoute.get(route);
    if (forKey === undefined) {
      // Clients with keys of their own each add an entry: bounded, as keys come from outside.
      forKey = boundedMemo(1_000, (key: string): Target[] =>
        route.channels.map((channel) => {
          const apiKey = channel.apiKey ?? key;
          return {
            ref: { metricsKey: metricsKey(channel.baseUrl, apiKey), apiType: route.protocol, baseUrl: channel.baseUrl, keyMask: apiKey ? maskKey(apiKey) : null, label: channel.label },
            base: parseBase(channel.baseUrl),
            apiKey: channel.apiKey,
          };
        }),
      );
      targetsByRoute.set(route, forKey);
    }
    return forKey(clientKey);
  };

  /**
   * Everything that can refuse a request, decided from its head alone: it runs before the body is
   * read, so a caller without the token cannot make the proxy buffer an upload (or wait for one).
   */
  const gate = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const problem = refusal(request, reply);
    if (problem === null) return done();
    // A refused request is answered here, and done() is not called: its handler never runs.
    if (closeInsteadOfDiscard(request)) reply.header('connection', 'close');
    deny(reply, problem.code, problem.message);
  };

  /**
   * Why a request may not pass, or null once it is admitted (recorded for its handler). Synchronous,
   * like the hook that calls it: no promise per proxied request.
   */
  const refusal = (request: FastifyRequest, reply: FastifyReply): { code: ErrorCode; message: string } | null => {
    const refuse = (code: ErrorCode, message: string) => ({ code, message });
    // A web page must not drive the proxy: not through a rebound DNS name, not by a cross-origin call.
    if (!isLoopbackHost(request.headers.host)) return refuse('forbidden', 'the proxy answers only requests addressed to 127.0.0.1, localhost or [::1]');
    const origin = request.headers.origin;
    if (origin !== undefined && !isLoopbackOrigin(origin)) return refuse('forbidden', 'the proxy does not answer requests from web pages of other origins');
    // `<img>`, no-cors fetch and form GETs send no Origin; browsers mark them with Sec-Fetch-Site.
    // same-site too: another port of 127.0.0.1 or localhost is another local app's page.
    if (/\b(?:cross|same)-site\b/i.test(request.headers['sec-fetch-site'] ?? '')) return refuse('forbidden', 'the proxy does not answer requests that web pages of other sites make');
    const name = (request.params as { route: string }).route;
    const route = service.integrations.route(name);
    if (!route || !route.enabled) return refuse('not_found', route ? `proxy route "${name}" is disabled` : `no proxy route "${name}"`);
    const { rest, query } = splitTarget(request.raw.url ?? '/');
    if (climbsOut(rest)) return refuse('bad_request', 'the path must not hold "." or ".." segments (also encoded, or with "\\" or ";" around them)');
    const credential = clientCredential(request.headers, route.protocol === 'gemini' ? query : '');
    // Both compared every time: which one matched must not show in the timing.
    const [api, proxy] = [sameSecret(credential, token), sameSecret(credential, proxyToken)];
    const presentsToken = api || proxy;
    const attribution = attributionOf(request.headers, route.project);
    if ('error' in attribution) return refuse('validation_failed', attribution.error);
    if (route.channels.some((channel) => channel.apiKey !== null) && !presentsToken) {
      reply.header('WWW-Authenticate', 'Bearer realm="modelmeter"');
      return refuse('unauthorized', `route "${name}" uses API keys that ModelMeter holds: send the ModelMeter API token or proxy token as the key (Authorization: Bearer <token>)`);
    }
    (request as AdmittedRequest)[ADMISSION] = { route, rest, query, credential, presentsToken, project: attribution.project, branch: attribution.branch };
    return null;
  };

  /** Not async: the exchange runs on its own once the reply is hijacked, and Fastify need not wait for it. */
  const handle = (request: FastifyRequest, reply: FastifyReply): void => {
    const admission = (request as AdmittedRequest)[ADMISSION];
    if (!admission) {
      deny(reply, 'internal', 'the proxy gate did not run');
      return;
    }
    const { route, rest, query, credential, presentsToken, project, branch } = admission;
    const protocol = route.protocol;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const clientPath = query ? `${rest}?${query}` : rest;
    let info: RequestInfo;
    try {
      info = inspectRequest(protocol, { method: request.method, path: clientPath, body, contentType: request.headers['content-type'], includeUsage: route.includeUsage });
    } catch {
      info = { model: null, stream: false, body };
    }
    const bodyRewritten = info.body !== body;
    const headers = endToEndHeaders(request.headers, bodyRewritten ? DROP_REWRITTEN : DROP_ALWAYS);
    let upstreamQuery = query;
    if (presentsToken) {
      // The ModelMeter token is for ModelMeter only: it never reaches an upstream.
      stripCredentials(headers);
      if (protocol === 'gemini') upstreamQuery = withoutQueryKey(query);
    }
    const targets = targetsFor(route, presentsToken ? '' : (credential ?? ''));
    const exchange: Exchange = {
      routeName: route.name,
      protocol,
      method: request.method,
      upstreamPath: upstreamQuery ? `${rest}?${upstreamQuery}` : rest,
      clientPath,
      headers,
      bodyRewritten,
      info,
      targets,
      timeoutMs: route.timeoutSeconds * 1000,
      project,
      branch,
    };

    reply.hijack();
    runExchange(exchange, reply.raw, context).catch((error: unknown) => {
      log(`proxy ${route.name}: ${error instanceof Error ? error.message : String(error)}`);
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        reply.raw.end(JSON.stringify({ error: { code: 'internal', message: 'internal error in the proxy; see the server log' } }));
      } else reply.raw.destroy();
    });
  };

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PROXY_BODY_LIMIT }, (_request, payload, done) => done(null, payload));
    // A slot on every request of this scope (Fastify builds its request objects with it), so that
    // setting it keeps their shape; cheaper than a WeakMap from request to admission.
    scope.decorateRequest(ADMISSION, null);
    scope.addHook('onRequest', gate);
    scope.all('/r/:route', handle);
    scope.all('/r/:route/*', handle);
  });
}

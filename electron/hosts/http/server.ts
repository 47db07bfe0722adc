import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createSession } from 'better-sse';
import type { AppInfo } from '../../../shared/app.js';
import { ApiError } from '../../../shared/errors.js';
import { registerProxy, type ProxyOptions } from '../../sources/proxy/register.js';
import type { LedgerService } from '../../app/ledger-service.js';
import { tokenMatches } from './auth.js';
import { BODY_LIMIT, clientErrorHandler, createErrorHandler, sendError, toApiError, type ErrorLog } from './errors.js';
import { FORWARD_JSON_LIMITS } from './json-body.js';
import { jsonBodyReader } from './json-reader.js';
import { FORWARD_ROUTE, registerHostRoutes } from './hosts-routes.js';
import { sendJsonText } from './json-text.js';
import { registerCompression } from './compression.js';
import { CONNECTION_LIMITS, UploadGate } from './limits.js';
import { findRendererDir, serveRenderer } from './renderer-files.js';
import { registerMetrics } from './metrics-route.js';
import { registerExport } from './export-route.js';

export { BODY_LIMIT };

export interface HttpServerOptions {
  service: LedgerService;
  token: string;
  version: string;
  /** Fastify's logger: off in tests, on for the headless server. */
  logger?: boolean;
  /** The host facts `GET /api/v1/app` answers (port and data folder are known only once listening). */
  appInfo?: () => AppInfo;
  /** The built renderer to serve at "/", or null for the landing page; found next to the code by default. */
  rendererDir?: string | null;
  /** Metering proxy: its clock (tests), where it logs failovers and breaker transitions (Fastify's logger by default). */
  proxy?: Omit<ProxyOptions, 'service' | 'token'>;
  /** Where internal errors are logged with their request id: the proxy's log, else stderr. */
  errorLog?: ErrorLog;
}

type Query = Record<string, unknown>;

/** Model names may hold "/" (Hugging Face names), so model routes take the rest of the path. */
function modelParam(request: FastifyRequest, suffix = ''): string {
  const raw = (request.params as { '*': string })['*'];
  const name = suffix && raw.endsWith(suffix) ? raw.slice(0, -suffix.length) : raw;
  if (!name) throw new ApiError('bad_request', 'the path must end with a model name');
  return name;
}

/**
 * Request ids shaped like a UUID (8-4-4-4-12 hex digits): the first 20 digits random, new for each
 * server, the last 12 a counter. Unique for what they serve (finding a logged error), without a
 * CSPRNG call per request.
 */
function requestIds(): () => string {
  const hex = randomBytes(10).toString('hex');
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
  let next = 0;
  return () => prefix + (++next).toString(16).padStart(12, '0');
}

/**
 * HTTP API v1: a thin transport over the service. Auth, JSON errors and body limits live here; what
 * the data means lives in the service.
 */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const { service, token } = options;
  const app = Fastify({
    logger: options.logger ? { level: 'info' } : false,
    bodyLimit: BODY_LIMIT,
    // A client may hold a keep-alive connection open without a request in flight (fetch after an
    // abort does): closing must not wait for it to go away.
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
    // Idle and slow connections are closed (see limits.ts): sockets are a bounded resource.
    keepAliveTimeout: CONNECTION_LIMITS.keepAliveTimeoutMs,
    requestTimeout: CONNECTION_LIMITS.requestTimeoutMs,
    http: { headersTimeout: CONNECTION_LIMITS.headersTimeoutMs, connectionsCheckingInterval: CONNECTION_LIMITS.checkIntervalMs },
    // Internal errors are logged under this id and the answer carries it.
    genReqId: requestIds(),
    clientErrorHandler,
    frameworkErrors: (error, _request, reply) => sendError(reply, toApiError(error)),
  });
  app.server.maxConnections = CONNECTION_LIMITS.maxConnections;
  const errorLog = options.errorLog ?? options.proxy?.log ?? ((message: string) => process.stderr.write(`${message}\n`));

  // JSON bodies: empty is "no body" (a route that needs one says what is missing), a shape that would
  // keep JSON.parse busy for long is refused before parsing (json-body.ts), and a batch of records is
  // parsed from its bytes in pieces (json-reader.ts).
  app.addContentTypeParser(
    'application/json',
    jsonBodyReader({
      parseWhole: app.getDefaultJsonParser('error', 'error'),
      limitsFor: (request) => (request.routeOptions.url === FORWARD_ROUTE ? FORWARD_JSON_LIMITS : undefined),
    }),
  );

  // The API speaks JSON only: a text/plain body must answer 415, not reach the routes as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(createErrorHandler(errorLog));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  const uploads = new UploadGate();
  // Hooks with a callback, not async: every request (the proxy's too) passes them, and an async hook
  // costs a promise and a microtask turn each.
  app.addHook('onRequest', (request, reply, done) => {
    // Decide on the route that matched, not on the raw URL: "/%61pi/v1/..." or an absolute-form
    // request target ("GET http://host/api/v1/...") reach API routes without starting with "/api/".
    const path = request.routeOptions.url ?? request.url;
    if (!path.startsWith('/api/')) return done();
    // A refused request is answered here and done() is not called: nothing after this hook runs.
    if (!tokenMatches(token, request.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Bearer realm="modelmeter"');
      sendError(reply, new ApiError('unauthorized', 'missing or wrong token: send Authorization: Bearer <token> (the token is printed at start and shown in Settings)'));
      return;
    }
    uploads.admit(request, reply, done, () => {
      reply.header('Retry-After', '1');
      sendError(reply, new ApiError('unavailable', 'too many large uploads at once; retry in a moment'));
    });
  });

  // A route that takes a body and got none (or an empty one) says so before the service sees it.
  // Every API POST, PUT and PATCH but the circuit reset and the catalogue actions takes one; DELETE and GET never do.
  const bodyless = new Set([
    `/api/v1/circuits/:metricsKey/reset`,
    `/api/v1/catalogue/update-check`,
    `/api/v1/catalogue/reprice/preview`,
    `/api/v1/catalogue/reprice`,
  ]);
  app.addHook('preValidation', (request, _reply, done) => {
    const route = request.routeOptions.url ?? '';
    if (request.body !== undefined || !route.startsWith('/api/') || bodyless.has(route)) return done();
    if (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'PATCH') return done();
    done(new ApiError('bad_request', 'the body is empty; send a JSON document'));
  });

  registerCompression(app);
  app.get('/healthz', async () => ({ status: 'ok', version: options.version }));
  serveRenderer(app, options.rendererDir === undefined ? findRendererDir() : options.rendererDir, options.version);

  const v1 = '/api/v1';
  const q = (request: FastifyRequest) => request.query as Query;

  app.post(`${v1}/requests`, async (request) => {
    // A parsed batch (thousands of objects) is garbage once validated: the request must not keep it
    // alive until the commit answers, where a scavenge would copy it on the event loop.
    const body = request.body;
    request.body = undefined;
    return service.ingestRequests(body);
  });
  app.post(`${v1}/runs`, async (request) => service.reportRun(request.body as never));
  app.put(`${v1}/circuits`, async (request) => service.putCircuits(request.body));

  // The read answers arrive as JSON text from the read workers and are sent as they are.
  app.get(`${v1}/summary`, async (request, reply) => sendJsonText(reply, await service.getSummaryJson(q(request))));
  app.get(`${v1}/history`, async (request, reply) => sendJsonText(reply, await service.getHistoryJson(q(request))));
  app.get(`${v1}/runs`, async (request) => service.listRuns(q(request)));
  app.get(`${v1}/program-runs`, async (request) => service.listProgramRuns(q(request)));
  app.get(`${v1}/requests`, async (request, reply) => sendJsonText(reply, await service.listRequestsJson(q(request))));
  app.get(`${v1}/projects`, async (request, reply) => sendJsonText(reply, await service.listProjectsJson(q(request))));

  app.get(`${v1}/circuits`, async (request) => service.listCircuits(q(request)));
  app.get(`${v1}/circuits/events`, async (request) => service.listCircuitEvents(q(request)));
  app.post(`${v1}/circuits/:metricsKey/reset`, async (request) => {
    const { metricsKey } = request.params as { metricsKey: string };
    const apiType = q(request)['apiType'];
    if (typeof apiType !== 'string') throw new ApiError('validation_failed', 'apiType is required: ?apiType=...', [{ field: 'apiType', reason: 'required' }]);
    return service.resetCircuit({ metricsKey, apiType });
  });

  app.get(`${v1}/pricing`, async () => service.listPricing());
  app.get(`${v1}/pricing/*`, async (request) => service.getPricing({ model: modelParam(request) }));
  app.put(`${v1}/pricing/*`, async (request) => service.addPriceVersion({ model: modelParam(request), version: request.body as never }));
  app.post(`${v1}/pricing/*`, async (request) => {
    const raw = (request.params as { '*': string })['*'];
    if (!raw.endsWith('/preview')) throw new ApiError('not_found', `no route POST ${request.url}: did you mean .../preview?`);
    return service.previewPriceVersion({ model: modelParam(request, '/preview'), version: request.body as never });
  });
  app.delete(`${v1}/pricing/*`, async (request) => {
    const effectiveFrom = q(request)['effectiveFrom'];
    const extra = Object.keys(q(request)).filter((key) => key !== 'effectiveFrom');
    if (extra.length) throw new ApiError('validation_failed', `unknown query parameter: ${extra.join(', ')}`, extra.map((field) => ({ field, reason: 'unknown' })));
    return service.deletePricing({ model: modelParam(request), ...(typeof effectiveFrom === 'string' ? { effectiveFrom } : {}) });
  });

  app.get(`${v1}/catalogue`, async (request) => service.searchCatalogue(q(request) as never));
  app.get(`${v1}/catalogue/status`, async () => service.getCatalogueStatus());
  app.post(`${v1}/catalogue/update-check`, async () => service.checkCatalogueUpdate());
  app.post(`${v1}/catalogue/update`, async (request) => service.applyCatalogueUpdate((request.body ?? {}) as never));
  app.delete(`${v1}/catalogue/update`, async () => service.resetCatalogue());
  app.post(`${v1}/catalogue/reprice/preview`, async () => service.previewCatalogueReprice());
  app.post(`${v1}/catalogue/reprice`, async () => service.repriceCatalogue());

  app.delete(`${v1}/models/*`, async (request) => service.deleteModel({ model: modelParam(request) }));
  app.post(`${v1}/channels/delete`, async (request) => service.deleteChannels(request.body as never));
  app.post(`${v1}/maintenance/cleanup`, async (request) => service.cleanup(request.body as never));
  app.post(`${v1}/maintenance/cleanup/preview`, async (request) => service.previewCleanup(request.body as never));

  app.get(`${v1}/app`, async () => {
    if (!options.appInfo) throw new ApiError('not_found', 'this server does not describe its host');
    return options.appInfo();
  });
  app.get(`${v1}/storage`, async () => service.getStorageInfo());
  app.get(`${v1}/settings`, async () => service.getSettings());
  app.patch(`${v1}/settings`, async (request) => service.updateSettings(request.body as never));
  app.get(`${v1}/savings/references`, async () => service.listSavingsReferences());
  app.put(`${v1}/savings/references/*`, async (request) => {
    const body = request.body as { reference?: unknown } | null;
    const extra = body !== null && typeof body === 'object' ? Object.keys(body).filter((key) => key !== 'reference') : [];
    if (extra.length) throw new ApiError('validation_failed', `unknown field: ${extra.join(', ')}`, extra.map((field) => ({ field, reason: 'unknown' })));
    return service.setSavingsReference({ model: modelParam(request), reference: (body?.reference ?? undefined) as never });
  });
  app.delete(`${v1}/savings/references/*`, async (request) => service.setSavingsReference({ model: modelParam(request), reference: null }));

  app.get(`${v1}/routes`, async () => service.listRoutes());
  app.put(`${v1}/routes/:name`, async (request) => service.saveRoute({ name: (request.params as { name: string }).name, route: request.body as never }));
  app.delete(`${v1}/routes/:name`, async (request) => service.deleteRoute({ name: (request.params as { name: string }).name }));
  app.get(`${v1}/watchers`, async () => service.listWatchers());
  app.post(`${v1}/watchers`, async (request) => service.saveWatcher({ watcher: request.body as never }));
  app.put(`${v1}/watchers/:id`, async (request) => service.saveWatcher({ id: (request.params as { id: string }).id, watcher: request.body as never }));
  app.delete(`${v1}/watchers/:id`, async (request) => service.deleteWatcher({ id: (request.params as { id: string }).id }));
  app.post(`${v1}/import`, async (request) => service.importDatabase(request.body as never));
  app.get(`${v1}/budgets`, async () => service.listBudgets());
  app.get(`${v1}/budgets/alerts`, async (request) => service.listBudgetAlerts(q(request) as never));
  app.put(`${v1}/budgets/:id`, async (request) => service.saveBudget({ id: (request.params as { id: string }).id, budget: request.body as never }));
  app.delete(`${v1}/budgets/:id`, async (request) => service.deleteBudget({ id: (request.params as { id: string }).id }));
  app.get(`${v1}/forecast`, async () => service.getForecast());
  app.get(`${v1}/agents`, async () => service.listAgentSources());
  app.get(`${v1}/agents/:id/preview`, async (request) => service.previewAgentSource({ id: (request.params as { id: string }).id as never }));
  app.put(`${v1}/agents/:id`, async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ApiError('validation_failed', 'the body must be an object: {"enabled": true|false}', [{ field: '(body)', reason: 'expected an object' }]);
    }
    const extra = Object.keys(body).filter((key) => key !== 'enabled');
    if (extra.length) throw new ApiError('validation_failed', `unknown field: ${extra.join(', ')}`, extra.map((field) => ({ field, reason: 'unknown' })));
    return service.setAgentSource({ id: (request.params as { id: string }).id as never, enabled: (body as { enabled?: unknown }).enabled as never });
  });

  // Forwarding this ledger to another ModelMeter (the token is kept in a file and shown masked).
  app.get(`${v1}/forwarding`, async () => service.getForwarding());
  app.put(`${v1}/forwarding`, async (request) => service.setForwarding(request.body as never));

  // Batches other ModelMeters forward here, and the machines known (hosts-routes.ts).
  registerHostRoutes(app, service);

  // Metering proxy: /r/<route>/... (raw bodies, its own auth rules; see electron/sources/proxy/register.ts).
  registerProxy(app, { service, token, ...options.proxy });

  // Prometheus /metrics (its own auth rule) and the OTLP push, started and stopped with this server.
  registerMetrics(app, { service, token, version: options.version, log: errorLog });

  // The request export, streamed (export-route.ts).
  registerExport(app, service);

  // Event streams never end by themselves: closing the server ends them, or close() would wait for
  // every open dashboard tab to go away.
  const streams = new Set<FastifyReply['raw']>();
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
    streams.clear();
  });

  app.get(`${v1}/events`, async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const session = await createSession(request.raw, reply.raw, { keepAlive: 15_000, retry: 2_000 });
    streams.add(reply.raw);
    reply.raw.once('close', () => streams.delete(reply.raw));
    session.push({ type: 'hello' }, 'hello');
    const unsubscribe = service.events.subscribe((event) => {
      if (session.isConnected) session.push(event, event.type);
    });
    session.on('disconnected', unsubscribe);
  });

  return app;
}

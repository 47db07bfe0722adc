import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../../shared/errors.js';
import type { LedgerService } from '../../app/ledger-service.js';
import { tokenMatches } from './auth.js';
import { sendError } from './errors.js';
import { fromLoopback } from './peer.js';

export interface MetricsRouteOptions {
  service: LedgerService;
  token: string;
  version: string;
  log: (message: string) => void;
}

/**
 * GET /metrics, where Prometheus looks (outside /api/v1, so the API's auth hook does not see it): the
 * token as for every API call, unless the user lets loopback scrapers in without it. The HTTP host
 * also runs the OTLP push for as long as it serves.
 */
export function registerMetrics(app: FastifyInstance, options: MetricsRouteOptions): void {
  const { service, token } = options;
  app.get('/metrics', async (request, reply) => {
    if (!(service.metrics.anonymousLoopback && fromLoopback(request)) && !tokenMatches(token, request.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Bearer realm="modelmeter"');
      return sendError(reply, new ApiError('unauthorized', 'missing or wrong token: send Authorization: Bearer <token> (scrape_configs: authorization.credentials), or allow anonymous loopback scrapes in the settings (metricsAllowAnonymousLoopback)'));
    }
    const exposition = await service.metrics.scrape();
    return reply.type(exposition.contentType).header('Cache-Control', 'no-store').send(exposition.body);
  });
  app.addHook('onReady', () => service.metrics.start(options.version, options.log));
  app.addHook('onClose', () => service.metrics.stop());
}

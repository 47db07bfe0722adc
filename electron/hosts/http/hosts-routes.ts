import type { FastifyInstance } from 'fastify';
import type { LedgerService } from '../../app/ledger-service.js';
import { BODY_LIMIT } from './errors.js';

/** The path of POST /forward below the API root; the JSON parser gives it larger shape limits. */
export const FORWARD_ROUTE = '/api/v1/forward';

/**
 * A forwarded batch may hold 5,000 full request records (with project paths, session and response
 * ids, about 500 bytes each) plus runs and circuit states: more than the 2 MiB of other bodies.
 */
export const FORWARD_BODY_LIMIT = 4 * BODY_LIMIT;

/** Receiving from other ModelMeters: POST /forward (a batch), GET /hosts (the machines known). */
export function registerHostRoutes(app: FastifyInstance, service: LedgerService): void {
  app.post(FORWARD_ROUTE, { bodyLimit: FORWARD_BODY_LIMIT }, async (request) => service.ingestForwarded(request.body as never));
  app.get('/api/v1/hosts', async () => service.listHosts());
}

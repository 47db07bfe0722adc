import type { FastifyInstance } from 'fastify';
import type { LedgerService } from '../../app/ledger-service.js';
import { FORWARD_BODY_LIMIT } from './errors.js';

/** The path of POST /forward below the API root; the JSON parser gives it larger shape limits. */
export const FORWARD_ROUTE = '/api/v1/forward';

/** Receiving from other ModelMeters: POST /forward (a batch), GET /hosts (the machines known). */
export function registerHostRoutes(app: FastifyInstance, service: LedgerService): void {
  app.post(FORWARD_ROUTE, { bodyLimit: FORWARD_BODY_LIMIT }, async (request) => service.ingestForwarded(request.body as never));
  app.get('/api/v1/hosts', async () => service.listHosts());
}

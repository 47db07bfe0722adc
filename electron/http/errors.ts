import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../shared/errors.js';

/** Everything that goes wrong leaves as `{ error: { code, message, details? } }` with its status. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'the request body is larger than the server accepts (32 MiB); send smaller batches');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('bad_request', 'the body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('bad_request', 'Content-Length does not match the body');
    default:
      break;
  }
  // A sum that would leave SQLite's 64-bit integers becomes a REAL, which the STRICT tables refuse;
  // the transaction is rolled back, so this is the input's fault and nothing was stored.
  if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_DATATYPE') {
    return new ApiError('bad_request', 'the numbers are too large to add up exactly; nothing was stored');
  }
  if (error instanceof SyntaxError || fastifyError.statusCode === 400) {
    return new ApiError('bad_request', `the body is not valid JSON: ${(error as Error).message}`);
  }
  return new ApiError('internal', 'internal error; see the server log');
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send({ error: error.toBody() });
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(error);
  if (apiError.code === 'internal') request.log.error({ err: error }, 'request failed');
  return sendError(reply, apiError);
}

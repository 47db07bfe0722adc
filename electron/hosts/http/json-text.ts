import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text serialised elsewhere (the read worker) as it is: with a JSON content type Fastify
 * neither parses nor serialises a string again, and the headers are those of a returned object.
 */
export function sendJsonText(reply: FastifyReply, answer: { json: string }): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(answer.json);
}

import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text serialised elsewhere (the read worker) as it is, a string or its UTF-8 bytes: with
 * a JSON content type Fastify neither parses nor serialises it again, and the headers are those of a
 * returned object.
 */
export function sendJsonText(reply: FastifyReply, answer: { json: string | Buffer }): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(answer.json);
}

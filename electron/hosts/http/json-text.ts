import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text serialised elsewhere (the read worker) as it is, a string or its UTF-8 bytes: with
 * a JSON content type Fastify neither parses nor serialises it again, and the headers are those of a
 * returned object. Lent bytes go back to their worker once the response has finished, that is once
 * the last of them was handed to the socket (or the compressor was done with them); a response cut
 * short never finishes, and its bytes are simply freed.
 */
export function sendJsonText(reply: FastifyReply, answer: { json: string | Buffer; release?: () => void }): FastifyReply {
  if (answer.release) reply.raw.once('finish', answer.release);
  return reply.type('application/json; charset=utf-8').send(answer.json);
}

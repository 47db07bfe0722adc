import type { FastifyRequest } from 'fastify';

/** The peer is this machine (the server binds loopback unless told otherwise with --bind). */
export function fromLoopback(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

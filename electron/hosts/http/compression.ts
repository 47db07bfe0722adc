import fastifyCompress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import { fromLoopback } from './peer.js';

/** Answers smaller than this go as they are: compressing them costs more than it saves. */
const THRESHOLD_BYTES = 1024;

/**
 * Compresses the dashboard's files and the API's answers (brotli or gzip, as the client accepts).
 * Left alone: the metering proxy (/r/...), which passes the upstream's bytes and the client's body
 * through untouched, and the event stream, which is hijacked and never buffered (and text/event-stream
 * is not a compressible type either). Request bodies are never decompressed: the body limits hold
 * for the bytes that arrive. Register before any route.
 */
export function registerCompression(app: FastifyInstance): void {
  // Runs before the plugin's own onRoute hook (hooks run in the order they were added).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/r/')) route.compress = false;
  });
  // API answers to this machine go plain: over loopback the bytes cost nothing to move, while brotli
  // cost ~7 ms of CPU per 30-day history (365 KB), as much as reading it, on the cores the reads
  // share. `x-no-compression` is the plugin's own per-request opt-out. The dashboard's files are
  // still compressed (the browser caches them).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith('/api/') && fromLoopback(request)) request.headers['x-no-compression'] = '1';
    done();
  });
  // Applied at once rather than through app.register: Fastify runs onRoute hooks when a route is
  // declared, and the server declares its routes synchronously, before registered plugins load. The
  // plugin's setup is synchronous (it adds its onRoute hook and a reply decorator).
  fastifyCompress(app, { global: true, globalDecompression: false, encodings: ['br', 'gzip'], threshold: THRESHOLD_BYTES }, (error) => {
    if (error) throw error;
  });
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { landingPage } from './landing-page.js';

/**
 * The dashboard's policy, sent with every file of the renderer: scripts, styles and data only from
 * this server, nothing inline, no frames, no forms posting elsewhere.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The built renderer, from source (electron/hosts/http) or from the build (dist/electron/hosts/http). */
export function findRendererDir(): string | null {
  for (const relative of ['../../../dist/renderer', '../../../renderer']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

export function serveRenderer(app: FastifyInstance, rendererDir: string | null, version: string): void {
  if (!rendererDir) {
    app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(landingPage(version)));
    return;
  }
  void app.register(fastifyStatic, {
    root: rendererDir,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    cacheControl: false,
    // Hashed asset names change with each build; index.html must always be asked for again.
    setHeaders(res, filePath) {
      res.setHeader('Content-Security-Policy', RENDERER_CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('Cache-Control', filePath.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
}

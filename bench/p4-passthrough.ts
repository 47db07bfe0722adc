import http from 'node:http';
import Fastify from 'fastify';

/**
 * P4's limit: a plain pass-through proxy on the product's HTTP stack (Fastify, the body taken as raw
 * bytes, node:http to the upstream over a keep-alive agent set up like the product's), forwarding
 * bytes both ways without parsing, metering, breakers or recording. Same URL shape as the product
 * (`/r/<route>/...`). Started with fork(); argv = the upstream's port; sends { port } once listening.
 */
async function main(): Promise<void> {
  const upstreamPort = Number(process.argv[2]);
  if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) throw new Error('usage: p4-passthrough <upstream port>');
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1_000, scheduling: 'lifo' });
  const app = Fastify({ logger: false, forceCloseConnections: true, keepAliveTimeout: 5_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 32 * 1024 * 1024 }, (_request, payload, done) => done(null, payload));
  app.all('/r/:route/*', (request, reply) => {
    const url = request.raw.url ?? '/';
    const rest = url.slice(url.indexOf('/', 3));
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const { host: _host, ...headers } = request.headers;
    reply.hijack();
    const upstream = http.request({ hostname: '127.0.0.1', port: upstreamPort, method: request.method, path: rest, headers, agent }, (response) => {
      reply.raw.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(reply.raw);
    });
    upstream.on('error', (error) => {
      if (!reply.raw.headersSent) reply.raw.writeHead(502, { 'content-type': 'text/plain' });
      reply.raw.end(error.message);
    });
    upstream.end(body.length > 0 ? body : undefined);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('disconnect', () => {
    agent.destroy();
    void app.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`p4-passthrough: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

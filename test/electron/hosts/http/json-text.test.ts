import net from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { sendJsonText } from '../../../../electron/hosts/http/json-text.js';

describe('sendJsonText', () => {
  // What a read worker hands over: a string (a summary) or the UTF-8 bytes it transferred.
  const TEXT = JSON.stringify({ project: '/home/me/beta "quoted" é', buckets: [{ ts: 1, cost: { CNY: 0.5 } }] });

  it('sends a string and its UTF-8 bytes alike: the same body, type and length, never serialised again', async () => {
    const app = Fastify();
    app.get('/text', async (_request, reply) => sendJsonText(reply, { json: TEXT }));
    app.get('/bytes', async (_request, reply) => sendJsonText(reply, { json: Buffer.from(TEXT, 'utf8') }));
    try {
      const [text, bytes] = await Promise.all([app.inject({ url: '/text' }), app.inject({ url: '/bytes' })]);
      for (const answer of [text, bytes]) {
        expect(answer.statusCode).toBe(200);
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(answer.body).toBe(TEXT);
        expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(TEXT));
      }
    } finally {
      await app.close();
    }
  });

  it("hands lent bytes back only once the response has finished, not while a slow client still reads them", async () => {
    // More than the kernel's socket buffers hold: the server cannot be done with it before the client reads.
    const body = Buffer.from(JSON.stringify('x'.repeat(48 * 1024 * 1024)), 'utf8');
    const released: boolean[] = [];
    const app = Fastify();
    app.get('/big', async (_request, reply) => sendJsonText(reply, { json: body, release: () => released.push(reply.raw.writableFinished) }));
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as net.AddressInfo;
      const socket = net.connect(port, '127.0.0.1');
      socket.pause();
      socket.write('GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(released).toEqual([]);
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const ended = new Promise((resolve) => socket.once('end', resolve));
      socket.resume();
      await ended;
      const response = Buffer.concat(received);
      expect(response.subarray(response.length - body.length).equals(body)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(released).toEqual([true]);
    } finally {
      await app.close();
    }
  });
});

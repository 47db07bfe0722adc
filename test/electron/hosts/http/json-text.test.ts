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
});

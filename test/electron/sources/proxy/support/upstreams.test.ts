import http, { type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyProtocol } from '../../../../../shared/schemas/integrations.js';
import { createUsageTap, inspectRequest, type TapResult } from '../../../../../electron/sources/proxy/protocols/index.js';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './upstreams.js';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  chunks: Buffer[];
  /** Milliseconds since the request was sent, per chunk. */
  arrivals: number[];
  error: Error | null;
}

/** The bytes exactly as the fake sent them (no decompression), chunk by chunk. */
function rawRequest(base: string, path: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Raw> {
  const payload = Buffer.from(JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve) => {
    const raw: Raw = { status: 0, headers: {}, chunks: [], arrivals: [], error: null };
    const request = http.request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      raw.status = response.statusCode ?? 0;
      raw.headers = response.headers;
      response.on('data', (chunk: Buffer) => {
        raw.chunks.push(chunk);
        raw.arrivals.push(performance.now() - started);
      });
      response.on('end', () => resolve(raw));
      response.on('error', (error) => resolve({ ...raw, error }));
      response.on('aborted', () => resolve({ ...raw, error: new Error('aborted') }));
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ ...raw, error }));
    request.end(payload);
  });
}

async function tapOf(protocol: ProxyProtocol, path: string, raw: Raw): Promise<TapResult> {
  const tap = createUsageTap(protocol, {
    path,
    status: raw.status,
    contentType: raw.headers['content-type'],
    contentEncoding: raw.headers['content-encoding'],
  });
  for (const chunk of raw.chunks) tap.push(chunk);
  return tap.finish();
}

interface Case {
  name: string;
  protocol: ProxyProtocol;
  path: string;
  body: Record<string, unknown>;
  options?: FakeUpstreamOptions;
}

const messages = [{ role: 'user', content: 'Say hello.' }];
const cases: Case[] = [
  { name: 'openai chat', protocol: 'openai', path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages } },
  { name: 'openai chat stream with include_usage', protocol: 'openai', path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } } },
  { name: 'openai completions', protocol: 'openai', path: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello.' } },
  { name: 'openai completions stream', protocol: 'openai', path: '/v1/completions', body: { model: 'gpt-3.5-turbo-instruct', prompt: 'Hi', stream: true, stream_options: { include_usage: true } } },
  { name: 'openai embeddings', protocol: 'openai', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hello' } },
  { name: 'openai responses', protocol: 'openai', path: '/v1/responses', body: { model: 'gpt-5-mini', input: 'Say hello.' } },
  { name: 'openai responses stream', protocol: 'openai', path: '/v1/responses', body: { model: 'gpt-5-mini', input: 'Say hello.', stream: true } },
  { name: 'llama.cpp chat', protocol: 'openai', path: '/v1/chat/completions', body: { model: 'qwen3', messages }, options: { llamaTimings: true } },
  { name: 'llama.cpp chat stream without include_usage', protocol: 'openai', path: '/v1/chat/completions', body: { model: 'qwen3', messages, stream: true }, options: { llamaTimings: true } },
  { name: 'anthropic messages', protocol: 'anthropic', path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 64, messages } },
  { name: 'anthropic messages stream', protocol: 'anthropic', path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 64, messages, stream: true } },
  { name: 'anthropic stream, newer full message_delta', protocol: 'anthropic', path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 64, messages, stream: true }, options: { anthropicFullDelta: true } },
  { name: 'gemini generateContent', protocol: 'gemini', path: '/v1beta/models/gemini-2.5-flash:generateContent', body: { contents: [{ parts: [{ text: 'Hi' }] }] }, options: { thoughtsTokens: 10 } },
  { name: 'gemini stream alt=sse', protocol: 'gemini', path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', body: { contents: [{ parts: [{ text: 'Hi' }] }] }, options: { thoughtsTokens: 10 } },
  { name: 'gemini stream JSON array', protocol: 'gemini', path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent', body: { contents: [{ parts: [{ text: 'Hi' }] }] } },
  { name: 'ollama chat stream', protocol: 'ollama', path: '/api/chat', body: { model: 'llama3.2', messages } },
  { name: 'ollama chat stream:false', protocol: 'ollama', path: '/api/chat', body: { model: 'llama3.2', messages, stream: false } },
  { name: 'ollama generate stream', protocol: 'ollama', path: '/api/generate', body: { model: 'llama3.2', prompt: 'Hi' } },
  { name: 'ollama generate stream:false', protocol: 'ollama', path: '/api/generate', body: { model: 'llama3.2', prompt: 'Hi', stream: false } },
  { name: 'ollama route, OpenAI-compatible endpoint', protocol: 'ollama', path: '/v1/chat/completions', body: { model: 'llama3.2', messages, stream: true, stream_options: { include_usage: true } } },
];

let upstream: FakeUpstream | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

describe('the fake upstream speaks each protocol so that a usage tap reads back exactly what it reported', () => {
  for (const compression of [undefined, 'gzip', 'br', 'deflate'] as const) {
    for (const c of cases) {
      it(`${c.name}${compression === undefined ? '' : ` (${compression})`}`, async () => {
        upstream = await startFakeUpstream({ ...c.options, usage: { inputTokens: 311, outputTokens: 57, cacheReadTokens: 1024, cacheWriteTokens: 9 }, compression });
        const raw = await rawRequest(upstream.url, c.path, c.body, { 'accept-encoding': 'gzip, deflate, br' });
        expect(raw.error).toBeNull();
        expect(raw.status).toBe(200);
        expect(raw.headers['content-encoding']).toBe(compression);
        const reported = upstream.reported.at(-1);
        expect(reported?.delivered).toBe(true);
        expect(reported?.usage).not.toBeNull();

        const result = await tapOf(c.protocol, c.path, raw);
        expect(result.usage).toEqual(reported?.usage);
        expect(result.model).toBe(reported?.model);
        expect(result.streamError).toBeNull();

        const request = inspectRequest(c.protocol, { method: 'POST', path: c.path, body: Buffer.from(JSON.stringify(c.body)), contentType: 'application/json', includeUsage: false });
        expect(request.stream).toBe(reported?.stream);
        expect(request.model).toBe(reported?.model);
      });
    }
  }

  it('reports the configured numbers in each wire dialect (OpenAI counts cached tokens inside prompt_tokens)', async () => {
    upstream = await startFakeUpstream({ usage: { inputTokens: 100, cacheReadTokens: 50, outputTokens: 7 } });
    const raw = await rawRequest(upstream.url, '/v1/chat/completions', { model: 'm', messages });
    const body = JSON.parse(Buffer.concat(raw.chunks).toString()) as { usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number }; completion_tokens: number } };
    expect(body.usage.prompt_tokens).toBe(150);
    expect(body.usage.prompt_tokens_details.cached_tokens).toBe(50);
    expect(body.usage.completion_tokens).toBe(7);
  });

  it('streams chat without a usage chunk unless the request asks for include_usage, and says it reported none', async () => {
    upstream = await startFakeUpstream();
    const raw = await rawRequest(upstream.url, '/v1/chat/completions', { model: 'm', messages, stream: true });
    const text = Buffer.concat(raw.chunks).toString();
    expect(text).not.toContain('"usage"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(upstream.reported[0]?.usage).toBeNull();
    expect((await tapOf('openai', '/v1/chat/completions', raw)).usage).toBeNull();
  });

  it('sends the Anthropic event sequence with event: lines', async () => {
    upstream = await startFakeUpstream({ text: 'one two' });
    const raw = await rawRequest(upstream.url, '/v1/messages', { model: 'claude-haiku-4-5', messages, stream: true, max_tokens: 10 });
    const events = [...Buffer.concat(raw.chunks).toString().matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });

  it('records every request it received', async () => {
    upstream = await startFakeUpstream();
    await rawRequest(upstream.url, '/v1/embeddings', { model: 'e', input: 'x' }, { authorization: 'Bearer sk-test' });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.path).toBe('/v1/embeddings');
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(JSON.parse(upstream.requests[0]?.body.toString() ?? '')).toEqual({ model: 'e', input: 'x' });
  });
});

describe('faults', () => {
  it('answers a status fault with the protocol error body, for the given number of requests', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'status', status: 529 }, 1);
    const first = await rawRequest(upstream.url, '/v1/messages', { model: 'c', messages, max_tokens: 5 });
    expect(first.status).toBe(529);
    expect(JSON.parse(Buffer.concat(first.chunks).toString())).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const second = await rawRequest(upstream.url, '/v1/messages', { model: 'c', messages, max_tokens: 5 });
    expect(second.status).toBe(200);
  });

  it('status fault with a custom body and headers stays until cleared', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'status', status: 429, body: '{"error":"slow down"}', headers: { 'retry-after': '7' } });
    for (let i = 0; i < 2; i++) {
      const raw = await rawRequest(upstream.url, '/api/chat', { model: 'm', messages });
      expect(raw.status).toBe(429);
      expect(raw.headers['retry-after']).toBe('7');
      expect(Buffer.concat(raw.chunks).toString()).toBe('{"error":"slow down"}');
    }
    upstream.setFault(null);
    expect((await rawRequest(upstream.url, '/api/chat', { model: 'm', messages })).status).toBe(200);
  });

  it('resets the connection before the headers', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'reset-before-headers' });
    const raw = await rawRequest(upstream.url, '/v1/chat/completions', { model: 'm', messages });
    expect(raw.error).not.toBeNull();
    expect(raw.status).toBe(0);
  });

  it('cuts a stream after some chunks: the tap reports what it saw (no usage yet)', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'reset-mid-stream', afterChunks: 3 });
    const raw = await rawRequest(upstream.url, '/v1/messages', { model: 'claude-x', messages, stream: true, max_tokens: 5 });
    expect(raw.status).toBe(200);
    expect(raw.error).not.toBeNull();
    expect(upstream.reported[0]?.delivered).toBe(false);
    const result = await tapOf('anthropic', '/v1/messages', raw);
    // message_start arrived (with its input counts and a provisional output of 1), message_delta did not.
    expect(result.model).toBe('claude-x');
    expect(result.usage?.outputTokens).toBe(1);
  });

  it('hangs without answering', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'hang' });
    const raw = await rawRequest(upstream.url, '/v1/chat/completions', { model: 'm', messages }, {}, 200);
    expect(raw.error?.message).toBe('timeout');
  });

  it('sends malformed streams whose usage reads as null, never as a guess', async () => {
    upstream = await startFakeUpstream();
    upstream.setFault({ kind: 'malformed-sse' });
    const sse = await rawRequest(upstream.url, '/v1/chat/completions', { model: 'm', messages, stream: true, stream_options: { include_usage: true } });
    expect((await tapOf('openai', '/v1/chat/completions', sse)).usage).toBeNull();
    const ndjson = await rawRequest(upstream.url, '/api/chat', { model: 'm', messages });
    expect((await tapOf('ollama', '/api/chat', ndjson)).usage).toBeNull();
    const json = await rawRequest(upstream.url, '/v1/messages', { model: 'm', messages, max_tokens: 1 });
    expect((await tapOf('anthropic', '/v1/messages', json)).usage).toBeNull();
    expect(upstream.reported.map((r) => r.usage)).toEqual([null, null, null]);
  });

  it('slows the chunks down, each arriving on its own', async () => {
    upstream = await startFakeUpstream({ text: 'a b c d' });
    upstream.setFault({ kind: 'slow-chunks', delayMs: 40 });
    const raw = await rawRequest(upstream.url, '/api/generate', { model: 'm', prompt: 'x' });
    expect(raw.chunks.length).toBeGreaterThanOrEqual(5);
    const last = raw.arrivals.at(-1) ?? 0;
    const first = raw.arrivals[0] ?? 0;
    expect(last - first).toBeGreaterThanOrEqual(4 * 40 - 10);
  });
});

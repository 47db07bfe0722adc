import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyProtocol } from '../../../../shared/schemas/integrations.js';
import type { RequestRow } from '../../../../shared/types.js';
import { startServer, type TestServer } from '../../hosts/http/helpers.js';
import { startFakeUpstream, type FakeUpstream, type Reported } from './support/upstreams.js';

/**
 * The official client libraries, pointed at ModelMeter's proxy in front of fake upstreams that speak
 * each protocol's wire format: the client must get what the upstream sent, and the ledger must record
 * exactly the usage the upstream reported.
 */
const HELD_KEY = 'sk-upstream-held-0123456789abcdef';
const USAGE = { inputTokens: 1234, outputTokens: 321, cacheReadTokens: 4000, cacheWriteTokens: 0 };

let server: TestServer;
const upstreams: Record<ProxyProtocol, FakeUpstream> = {} as Record<ProxyProtocol, FakeUpstream>;
let seen = 0;

beforeAll(async () => {
  server = await startServer();
  for (const protocol of ['openai', 'anthropic', 'gemini', 'ollama'] as const) {
    upstreams[protocol] = await startFakeUpstream({ usage: protocol === 'anthropic' ? { ...USAGE, cacheWriteTokens: 512 } : protocol === 'ollama' ? { ...USAGE, cacheReadTokens: 0 } : USAGE, thoughtsTokens: 21 });
    // The route holds the upstream key: clients authenticate to ModelMeter with its token instead.
    await server.core.service.saveRoute({ name: protocol, route: { protocol, channels: [{ baseUrl: upstreams[protocol].url, apiKey: HELD_KEY }] } });
  }
  await server.core.service.saveRoute({ name: 'openai-usage', route: { protocol: 'openai', includeUsage: true, channels: [{ baseUrl: upstreams.openai.url }] } });
});

afterAll(async () => {
  await server.close();
  for (const upstream of Object.values(upstreams)) await upstream.close();
});

/** The records written since the last call, oldest first (the proxy records in the background). */
async function newRecords(count: number): Promise<RequestRow[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { requests } = await server.core.service.listRequests({ limit: 1000 });
    if (requests.length >= seen + count || Date.now() > deadline) {
      const fresh = requests.slice(0, requests.length - seen).reverse();
      seen = requests.length;
      expect(fresh.length, 'records written').toBe(count);
      return fresh;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function tokens(row: RequestRow | Reported['usage']) {
  if (row === null) return null;
  return { inputTokens: row.inputTokens, outputTokens: row.outputTokens, cacheReadTokens: row.cacheReadTokens, cacheWriteTokens: row.cacheWriteTokens };
}

function lastReported(upstream: FakeUpstream): Reported {
  const reported = upstream.reported.at(-1);
  expect(reported).toBeDefined();
  return reported!;
}

describe('openai client through the proxy', () => {
  const client = () => new OpenAI({ baseURL: `${server.url}/r/openai/v1`, apiKey: server.token, maxRetries: 0 });

  it('records a chat completion with the usage the upstream reported, and the upstream saw the held key', async () => {
    const completion = await client().chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.usage?.completion_tokens).toBe(USAGE.outputTokens);
    const [row] = await newRecords(1);
    expect(row).toMatchObject({ model: 'gpt-5-mini', apiType: 'openai', success: true, statusCode: 200, source: 'proxy:openai' });
    expect(tokens(row!)).toEqual(tokens(lastReported(upstreams.openai).usage));
    expect(upstreams.openai.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${HELD_KEY}`);
  });

  it('streams a chat completion chunk by chunk and records the usage of its last chunk', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-5-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain('fake upstream');
    expect(usage?.prompt_tokens).toBe(USAGE.inputTokens + USAGE.cacheReadTokens);
    const [row] = await newRecords(1);
    expect(tokens(row!)).toEqual(tokens(lastReported(upstreams.openai).usage));
    expect(row!.ttftMs).not.toBeNull();
  });

  it('counts nothing for a stream without usage, and asks for it on a route that says so', async () => {
    const plain = await client().chat.completions.create({ model: 'gpt-5-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const chunk of plain) void chunk;
    const [unmetered] = await newRecords(1);
    expect(lastReported(upstreams.openai).usage).toBeNull();
    expect(tokens(unmetered!)).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });

    const asking = new OpenAI({ baseURL: `${server.url}/r/openai-usage/v1`, apiKey: 'sk-client-own-key-000000000000', maxRetries: 0 });
    const metered = await asking.chat.completions.create({ model: 'qwen3-coder', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const chunk of metered) void chunk;
    const [row] = await newRecords(1);
    expect(tokens(row!)).toEqual(tokens(lastReported(upstreams.openai).usage));
    expect(row!.inputTokens).toBe(USAGE.inputTokens);
    // No key held: the client's own key goes through untouched.
    expect(upstreams.openai.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-client-own-key-000000000000');
  });

  it('records the Responses API, streamed and not, and embeddings', async () => {
    const response = await client().responses.create({ model: 'gpt-5', input: 'hi' });
    expect(response.usage?.output_tokens).toBe(USAGE.outputTokens);
    const stream = await client().responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    for await (const event of stream) void event;
    const embedding = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(embedding.data.length).toBeGreaterThan(0);
    const rows = await newRecords(3);
    const reported = upstreams.openai.reported.slice(-3);
    expect(rows.map((row) => row.model)).toEqual(['gpt-5', 'gpt-5', 'text-embedding-3-small']);
    expect(rows.map(tokens)).toEqual(reported.map((item) => tokens(item.usage)));
  });

  it('answers 401 to a client that does not present the token for a route holding a key', async () => {
    const stranger = new OpenAI({ baseURL: `${server.url}/r/openai/v1`, apiKey: 'sk-someone-else-000000000000', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
  });
});

describe('anthropic client through the proxy', () => {
  const client = () => new Anthropic({ baseURL: `${server.url}/r/anthropic`, apiKey: server.token, maxRetries: 0 });

  it('records a message with cache reads and writes', async () => {
    const message = await client().messages.create({ model: 'claude-opus-4-6', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.usage.cache_creation_input_tokens).toBe(512);
    const [row] = await newRecords(1);
    expect(row).toMatchObject({ model: 'claude-opus-4-6', apiType: 'anthropic', success: true });
    expect(tokens(row!)).toEqual(tokens(lastReported(upstreams.anthropic).usage));
    expect(upstreams.anthropic.requests.at(-1)!.headers['x-api-key']).toBe(HELD_KEY);
  });

  it('records a streamed message from message_start and message_delta', async () => {
    const stream = client().messages.stream({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(USAGE.outputTokens);
    const [row] = await newRecords(1);
    expect(tokens(row!)).toEqual({ inputTokens: USAGE.inputTokens, outputTokens: USAGE.outputTokens, cacheReadTokens: USAGE.cacheReadTokens, cacheWriteTokens: 512 });
  });
});

describe('gemini client through the proxy', () => {
  const client = () => new GoogleGenAI({ apiKey: server.token, httpOptions: { baseUrl: `${server.url}/r/gemini` } });

  it('records generateContent and streamGenerateContent from usageMetadata, thinking included', async () => {
    const answer = await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(answer.usageMetadata?.thoughtsTokenCount).toBe(21);
    const stream = await client().models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    const rows = await newRecords(2);
    expect(rows.map((row) => row.model)).toEqual(['gemini-2.5-flash', 'gemini-2.5-pro']);
    expect(rows.map(tokens)).toEqual(upstreams.gemini.reported.slice(-2).map((item) => tokens(item.usage)));
    expect(rows[0]!.outputTokens).toBe(USAGE.outputTokens);
    expect(upstreams.gemini.requests.at(-1)!.headers['x-goog-api-key']).toBe(HELD_KEY);
  });
});

describe('ollama client through the proxy', () => {
  const client = () => new Ollama({ host: `${server.url}/r/ollama`, headers: { Authorization: `Bearer ${server.token}` } });

  it('records chat (streamed) and generate from the final chunk', async () => {
    const stream = await client().chat({ model: 'qwen3:8b', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let done = false;
    for await (const part of stream) done ||= part.done;
    expect(done).toBe(true);
    const generated = await client().generate({ model: 'llama3.2:3b', prompt: 'hi', stream: false });
    expect(generated.eval_count).toBe(USAGE.outputTokens);
    const rows = await newRecords(2);
    expect(rows.map((row) => [row.model, row.apiType])).toEqual([
      ['qwen3:8b', 'ollama'],
      ['llama3.2:3b', 'ollama'],
    ]);
    expect(rows.map(tokens)).toEqual(upstreams.ollama.reported.slice(-2).map((item) => tokens(item.usage)));
  });
});

describe('failover seen from a client', () => {
  it('gets the second channel\'s answer when the first fails with 503, and both attempts are recorded', async () => {
    const failing = await startFakeUpstream();
    const healthy = await startFakeUpstream({ usage: USAGE });
    try {
      await server.core.service.saveRoute({ name: 'failover', route: { protocol: 'openai', channels: [{ baseUrl: failing.url, apiKey: HELD_KEY }, { baseUrl: healthy.url, apiKey: HELD_KEY }] } });
      failing.setFault({ kind: 'status', status: 503 });
      const client = new OpenAI({ baseURL: `${server.url}/r/failover/v1`, apiKey: server.token, maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(completion.usage?.completion_tokens).toBe(USAGE.outputTokens);
      const rows = await newRecords(2);
      expect(rows.map((row) => [row.success, row.failureClass, row.statusCode])).toEqual([
        [false, 'retryable', 503],
        [true, null, 200],
      ]);
      expect(rows[0]!.channel).not.toBe(rows[1]!.channel);
      expect(tokens(rows[1]!)).toEqual(tokens(lastReported(healthy).usage));
    } finally {
      await failing.close();
      await healthy.close();
    }
  });
});

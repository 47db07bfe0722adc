import { describe, expect, it } from 'vitest';
import type { ProxyProtocol } from '../../../../shared/schemas/integrations.js';
import { plausibleResponseId } from '../../../../electron/sources/proxy/protocols/readers.js';
import { chatBody, rawRequest, startScriptedUpstream, type ProxyServer, useProxyServerPerTest } from './harness.js';
import { JSON_TYPE, NDJSON, sse, SSE, tapBody } from './protocols/helpers.js';

/**
 * Issue 15 items 4 and 5 at the proxy: the upstream's response id is recorded on every protocol,
 * streamed or not, so an agent's log naming the same answer is counted once; X-ModelMeter-Project and
 * X-ModelMeter-Branch set a call's project and never reach the upstream; a route may carry a default.
 */
const MSG = 'msg_01XFDUDYJgAACzvnptvVoYEL';
const CHAT = 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT';
const RESP = 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b';
const GEMINI = '5W3TaNfbGI2dz7IPnO6e0Qk';

const cases: { name: string; protocol: ProxyProtocol; contentType: string; path?: string; body: string; id: string }[] = [
  {
    name: 'Anthropic JSON',
    protocol: 'anthropic',
    contentType: JSON_TYPE,
    body: JSON.stringify({ id: MSG, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 10, output_tokens: 3 } }),
    id: MSG,
  },
  {
    name: 'Anthropic SSE (message_start)',
    protocol: 'anthropic',
    contentType: SSE,
    body: sse([
      { event: 'message_start', data: { type: 'message_start', message: { id: MSG, type: 'message', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 1 } } } },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]),
    id: MSG,
  },
  {
    name: 'OpenAI chat JSON',
    protocol: 'openai',
    contentType: JSON_TYPE,
    body: JSON.stringify({ id: CHAT, object: 'chat.completion', model: 'gpt-5-mini', choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } }),
    id: CHAT,
  },
  {
    name: 'OpenAI chat SSE',
    protocol: 'openai',
    contentType: SSE,
    body: sse([
      { data: { id: CHAT, object: 'chat.completion.chunk', model: 'gpt-5-mini', choices: [{ index: 0, delta: { content: 'hi' } }] } },
      { data: { id: CHAT, object: 'chat.completion.chunk', model: 'gpt-5-mini', choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } } },
      { data: '[DONE]' },
    ]),
    id: CHAT,
  },
  {
    name: 'OpenAI Responses JSON',
    protocol: 'openai',
    contentType: JSON_TYPE,
    body: JSON.stringify({ id: RESP, object: 'response', model: 'gpt-5', output: [], usage: { input_tokens: 10, output_tokens: 3 } }),
    id: RESP,
  },
  {
    name: 'OpenAI Responses SSE',
    protocol: 'openai',
    contentType: SSE,
    body: sse([
      { event: 'response.created', data: { type: 'response.created', response: { id: RESP, object: 'response', model: 'gpt-5', usage: null } } },
      { event: 'response.completed', data: { type: 'response.completed', response: { id: RESP, object: 'response', model: 'gpt-5', usage: { input_tokens: 10, output_tokens: 3 } } } },
    ]),
    id: RESP,
  },
  {
    name: 'Gemini JSON',
    protocol: 'gemini',
    contentType: JSON_TYPE,
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    body: JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 }, modelVersion: 'gemini-2.5-flash', responseId: GEMINI }),
    id: GEMINI,
  },
  {
    name: 'Gemini SSE',
    protocol: 'gemini',
    contentType: SSE,
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    body: sse([
      { data: { candidates: [], modelVersion: 'gemini-2.5-flash', responseId: GEMINI } },
      { data: { candidates: [], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 }, modelVersion: 'gemini-2.5-flash', responseId: GEMINI } },
    ]),
    id: GEMINI,
  },
];

describe('the response id in each protocol', () => {
  it.each(cases)('$name', async ({ protocol, contentType, path, body, id }) => {
    const result = await tapBody(protocol, { contentType, ...(path ? { path } : {}) }, body);
    expect(result.responseId).toBe(id);
    expect(result.usage).not.toBeNull();
  });

  it('is not taken from an error answer, nor from Ollama, nor when it is too short to be unique', async () => {
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, status: 529 }, JSON.stringify({ type: 'error', id: MSG }))).responseId).toBeNull();
    const ollama = JSON.stringify({ model: 'qwen3', done: true, prompt_eval_count: 5, eval_count: 2 });
    expect((await tapBody('ollama', { contentType: NDJSON }, `${ollama}\n`)).responseId).toBeNull();
    // Ollama's OpenAI API numbers its answers "chatcmpl-" and 0-999: those would collide.
    const numbered = JSON.stringify({ id: 'chatcmpl-735', object: 'chat.completion', model: 'qwen3', usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect((await tapBody('openai', { contentType: JSON_TYPE }, numbered)).responseId).toBeNull();
    expect(plausibleResponseId(`msg_${'x'.repeat(300)}`)).toBeNull();
    expect(plausibleResponseId('msg_0123456789 abcdef')).toBeNull();
  });
});

let server: ProxyServer;
const track = useProxyServerPerTest(
  (started) => (server = started),
  () => server,
);

describe('X-ModelMeter-Project and X-ModelMeter-Branch on a proxied call', () => {
  const answer = (id: string) => JSON.stringify({ id, object: 'chat.completion', model: 'gpt-test', choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } });
  /** An upstream answering every call with a chat completion whose id is `id()`, stopped after the test. */
  const chatUpstream = async (id: () => string = () => CHAT) =>
    track(
      await startScriptedUpstream((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(answer(id()));
      }),
    );

  it('set the recorded project and branch, are stripped before forwarding, and the response id is recorded', async () => {
    const upstream = await chatUpstream();
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, {
      body: chatBody(),
      // A UTF-8 path is percent-encoded by the client (header values are latin1 on the wire).
      headers: { 'content-type': 'application/json', 'X-ModelMeter-Project': '/home/me/src/%E5%B7%A5%E5%85%B7', 'X-ModelMeter-Branch': 'feature/x', 'X-Other': 'kept' },
    });
    expect(got.status).toBe(200);
    const seen = upstream.requests[0]!;
    expect(Object.keys(seen.headers).filter((name) => name.startsWith('x-modelmeter'))).toEqual([]);
    expect(seen.rawHeaders.join('\n').toLowerCase()).not.toContain('modelmeter');
    expect(seen.headers['x-other']).toBe('kept');
    const [record] = await server.records(1);
    expect(record).toMatchObject({ project: '/home/me/src/工具', branch: 'feature/x', responseId: CHAT, inputTokens: 10 });
  });

  it('a route default applies to calls that name no project; a header overrides it', async () => {
    let n = 0;
    const upstream = await chatUpstream(() => `${CHAT}-${n++}`);
    await server.saveRoute('team', { protocol: 'openai', channels: [{ baseUrl: upstream.url }], project: '/srv/team-app' });
    expect((await server.service.listRoutes()).find((route) => route.name === 'team')?.project).toBe('/srv/team-app');
    const send = (headers: Record<string, string>) =>
      rawRequest(`${server.url}/r/team/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json', ...headers } });
    expect((await send({})).status).toBe(200);
    expect((await send({ 'x-modelmeter-project': 'other' })).status).toBe(200);
    const records = await server.records(2);
    expect(records.map((r) => [r.project, r.branch])).toEqual([
      ['/srv/team-app', null],
      ['other', null],
    ]);
    const projects = await server.service.listProjects({});
    expect(projects.map((p) => [p.name, p.requests]).sort()).toEqual([
      ['other', 1],
      ['team-app', 1],
    ]);
  });

  it('refuses a bad project header with a clear error and forwards nothing', async () => {
    const upstream = await chatUpstream();
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    const got = await rawRequest(`${server.url}/r/main/v1/chat/completions`, {
      body: chatBody(),
      headers: { 'content-type': 'application/json', 'x-modelmeter-project': 'a%0Ab' },
    });
    expect(got.status).toBe(400);
    expect(got.text).toContain('X-ModelMeter-Project');
    expect(upstream.requests).toHaveLength(0);
  });

  it('a second answer with the same response id is counted once', async () => {
    const upstream = await chatUpstream();
    await server.saveRoute('main', { protocol: 'openai', channels: [{ baseUrl: upstream.url }] });
    for (let i = 0; i < 2; i++) await rawRequest(`${server.url}/r/main/v1/chat/completions`, { body: chatBody(), headers: { 'content-type': 'application/json' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.service.flush();
    const page = await server.service.listRequests({});
    expect(page.requests.map((r) => r.responseId)).toEqual([CHAT]);
  });
});

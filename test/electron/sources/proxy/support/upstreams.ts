import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import type { TokenUsage } from '../../../../../electron/sources/proxy/protocols/index.js';

/**
 * A fake LLM upstream for tests and the benchmark: plain node:http on 127.0.0.1, answering each
 * protocol in its real wire format (OpenAI chat/completions/embeddings/responses, llama.cpp timings,
 * Anthropic messages, Gemini generateContent/streamGenerateContent, Ollama chat/generate).
 *
 * Token numbers come from `usage` (canonical semantics); every answer records what it reported in
 * `reported`, so a test can compare what the proxy recorded with what the upstream said.
 */

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'reset-before-headers' }
  | { kind: 'reset-mid-stream'; afterChunks: number }
  | { kind: 'hang' }
  | { kind: 'malformed-sse' }
  | { kind: 'slow-chunks'; delayMs: number };

export type FakeProtocol = 'openai' | 'anthropic' | 'gemini' | 'ollama';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Reported {
  protocol: FakeProtocol;
  path: string;
  stream: boolean;
  model: string;
  /**
   * The canonical counts the response carried in full (null: it carried none, e.g. a stream without
   * include_usage, a status fault or a malformed stream). Protocols without a cache-write (or cache-read)
   * notion report 0 there.
   */
  usage: TokenUsage | null;
  /** False when a fault cut the response before its last byte. */
  delivered: boolean;
}

export interface FakeUpstreamOptions {
  usage?: Partial<TokenUsage>;
  /** Gemini only: how many of outputTokens are thinking (`thoughtsTokenCount`). */
  thoughtsTokens?: number;
  /** OpenAI-compatible answers carry llama.cpp `timings` (and `usage` counting the same tokens). */
  llamaTimings?: boolean;
  /** Anthropic's newer `message_delta` that repeats input and cache counts. */
  anthropicFullDelta?: boolean;
  /** Pause between stream chunks. */
  chunkDelayMs?: number;
  /** The generated text, streamed a word per chunk. */
  text?: string;
  /** Answer compressed when the request's accept-encoding allows it. */
  compression?: 'gzip' | 'br' | 'deflate';
  /** The model named in answers; defaults to the requested one. */
  responseModel?: string;
}

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  reported: Reported[];
  close(): Promise<void>;
  /** Applies to the next requests until cleared; with `times`, only to that many. */
  setFault(fault: Fault | null, times?: number): void;
  setUsage(usage: Partial<TokenUsage>): void;
}

const DEFAULT_USAGE: TokenUsage = { inputTokens: 120, outputTokens: 34, cacheReadTokens: 80, cacheWriteTokens: 16 };

interface Answer {
  protocol: FakeProtocol;
  status: number;
  contentType: string;
  headers: Record<string, string>;
  /** Written one by one, each flushed, so a stream's chunks arrive separately. */
  chunks: string[];
  stream: boolean;
  model: string;
  usage: TokenUsage | null;
}

let sequence = 0;
function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${Date.now().toString(36)}${sequence.toString(36).padStart(6, '0')}`;
}

function words(text: string): string[] {
  const parts = text.match(/\S+\s*/g) ?? [text];
  return parts.length === 0 ? [''] : parts;
}

function sse(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts)));
    request.on('error', reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  let usage: TokenUsage = { ...DEFAULT_USAGE, ...options.usage };
  let fault: Fault | null = null;
  let faultTimes: number | null = null;
  const requests: RecordedRequest[] = [];
  const reported: Reported[] = [];
  const sockets = new Set<Socket>();
  const text = options.text ?? 'Hello from the fake upstream, one word at a time.';

  const takeFault = (): Fault | null => {
    const current = fault;
    if (current !== null && faultTimes !== null) {
      faultTimes -= 1;
      if (faultTimes <= 0) {
        fault = null;
        faultTimes = null;
      }
    }
    return current;
  };

  const server = http.createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = request.url ?? '/';
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    const currentFault = takeFault();
    if (currentFault?.kind === 'reset-before-headers') {
      request.socket.destroy();
      return;
    }
    if (currentFault?.kind === 'hang') return;

    const answer = answerFor(request.method ?? 'GET', path, parseJson(body), usage, options, text, currentFault);
    if (answer === null) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: `no fake route for ${request.method} ${path}`, type: 'invalid_request_error' } }));
      return;
    }
    if (currentFault?.kind === 'status') {
      response.writeHead(currentFault.status, { 'content-type': 'application/json', ...currentFault.headers });
      response.end(currentFault.body ?? errorBody(answer.protocol, currentFault.status));
      reported.push({ protocol: answer.protocol, path, stream: answer.stream, model: answer.model, usage: null, delivered: true });
      return;
    }
    const entry: Reported = { protocol: answer.protocol, path, stream: answer.stream, model: answer.model, usage: answer.usage, delivered: false };
    reported.push(entry);
    await send(request, response, answer, currentFault, entry);
  }

  async function send(request: IncomingMessage, response: ServerResponse, answer: Answer, currentFault: Fault | null, entry: Reported): Promise<void> {
    const accepted = String(request.headers['accept-encoding'] ?? '');
    const encoding = options.compression !== undefined && accepted.includes(options.compression) ? options.compression : null;
    const headers: Record<string, string> = { 'content-type': answer.contentType, ...answer.headers };
    if (encoding !== null) headers['content-encoding'] = encoding;
    response.writeHead(answer.status, headers);
    response.flushHeaders();

    const compressor =
      encoding === 'gzip' ? zlib.createGzip() : encoding === 'br' ? zlib.createBrotliCompress() : encoding === 'deflate' ? zlib.createDeflate() : null;
    compressor?.pipe(response);
    const out = (data: string): Promise<void> =>
      new Promise((resolve) => {
        if (compressor === null) {
          response.write(data, () => resolve());
          return;
        }
        compressor.write(data);
        compressor.flush(encoding === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH, () => resolve());
      });

    const pause = currentFault?.kind === 'slow-chunks' ? currentFault.delayMs : (options.chunkDelayMs ?? 0);
    for (let i = 0; i < answer.chunks.length; i++) {
      if (currentFault?.kind === 'reset-mid-stream' && i >= currentFault.afterChunks) {
        // Let the written chunks reach the client before the cut.
        await delay(5);
        request.socket.destroy();
        return;
      }
      if (i > 0 && pause > 0) await delay(pause);
      if (response.destroyed) return;
      await out(answer.chunks[i] ?? '');
    }
    entry.delivered = true;
    if (compressor !== null) compressor.end();
    else response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reported,
    setFault(next, times) {
      fault = next;
      faultTimes = next === null || times === undefined ? null : times;
    },
    setUsage(next) {
      usage = { ...DEFAULT_USAGE, ...next };
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function errorBody(protocol: FakeProtocol, status: number): string {
  const overloaded = status === 529 || status === 503;
  switch (protocol) {
    case 'anthropic':
      return JSON.stringify({
        type: 'error',
        error: { type: overloaded ? 'overloaded_error' : status === 429 ? 'rate_limit_error' : 'api_error', message: overloaded ? 'Overloaded' : `status ${status}` },
      });
    case 'gemini':
      return JSON.stringify({ error: { code: status, message: `status ${status}`, status: status === 429 ? 'RESOURCE_EXHAUSTED' : overloaded ? 'UNAVAILABLE' : 'INTERNAL' } });
    case 'ollama':
      return JSON.stringify({ error: `status ${status}` });
    case 'openai':
      return JSON.stringify({ error: { message: `status ${status}`, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', param: null, code: null } });
  }
}

function answerFor(
  method: string,
  rawPath: string,
  body: Record<string, unknown>,
  usage: TokenUsage,
  options: FakeUpstreamOptions,
  text: string,
  fault: Fault | null,
): Answer | null {
  if (method !== 'POST') return null;
  const url = new URL(rawPath, 'http://fake');
  const path = url.pathname;
  const requested = typeof body['model'] === 'string' ? body['model'] : null;
  const model = options.responseModel ?? requested ?? 'fake-model';
  const malformed = fault?.kind === 'malformed-sse';

  const gemini = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (gemini !== null) {
    const geminiModel = options.responseModel ?? decodeURIComponent(gemini[1] ?? 'gemini');
    const streaming = gemini[2] === 'streamGenerateContent';
    const answer = geminiAnswer(geminiModel, streaming, url.searchParams.get('alt') === 'sse', usage, options.thoughtsTokens ?? 0, text);
    return malformed ? withMalformed(answer) : answer;
  }
  const stream = body['stream'] === true;
  let answer: Answer | null = null;
  if (path === '/v1/messages') answer = anthropicAnswer(model, stream, usage, options.anthropicFullDelta === true, text);
  else if (path === '/api/chat' || path === '/api/generate') answer = ollamaAnswer(model, body['stream'] !== false, path === '/api/chat', usage, text);
  else if (path === '/v1/chat/completions' || path === '/v1/completions') {
    const streamOptions = body['stream_options'];
    const includeUsage = typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as Record<string, unknown>)['include_usage'] === true;
    answer = openAiAnswer(model, path === '/v1/chat/completions', stream, includeUsage, usage, options.llamaTimings === true, text);
  } else if (path === '/v1/embeddings') answer = embeddingsAnswer(model, usage);
  else if (path === '/v1/responses') answer = responsesAnswer(model, stream, usage, text);
  return answer !== null && malformed ? withMalformed(answer) : answer;
}

/** The same answer with its frames broken: garbage lines, a truncated JSON event, no usage anywhere. */
function withMalformed(answer: Answer): Answer {
  const broken = answer.contentType.includes('event-stream')
    ? ['this is not an event line\n', 'data: {"id":"x","choices":[{"delta":{"content":"Hel\n\n', 'data: not json at all\n\n', ':\n\nevent\ndata\n\n', 'data: [DONE]\n\n']
    : answer.contentType.includes('ndjson')
      ? ['{"model":"m","message":{"content":"Hel\n', 'garbage line\n', '{"done":true,"prompt_eval_cou\n']
      : ['{"id":"x","usage":{"prompt_tok'];
  return { ...answer, chunks: broken, usage: null };
}

function openAiUsage(usage: TokenUsage): Record<string, unknown> {
  const prompt = usage.inputTokens + usage.cacheReadTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function llamaTimings(usage: TokenUsage): Record<string, number> {
  return {
    cache_n: usage.cacheReadTokens,
    prompt_n: usage.inputTokens,
    prompt_ms: 52.4,
    prompt_per_token_ms: 0.44,
    prompt_per_second: 2290.1,
    predicted_n: usage.outputTokens,
    predicted_ms: 903.7,
    predicted_per_token_ms: 26.6,
    predicted_per_second: 37.6,
  };
}

function openAiAnswer(model: string, chat: boolean, stream: boolean, includeUsage: boolean, usage: TokenUsage, timings: boolean, text: string): Answer {
  const id = chat ? nextId('chatcmpl-') : nextId('cmpl-');
  const created = Math.floor(Date.now() / 1000);
  const canonical: TokenUsage = { ...usage, cacheWriteTokens: 0 };
  const extra: Record<string, unknown> = timings ? { timings: llamaTimings(usage) } : {};
  const fingerprint = timings ? 'b6510-703f9e32' : 'fp_44709d6fcb';
  if (!stream) {
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }
      : { text, index: 0, logprobs: null, finish_reason: 'stop' };
    const payload = {
      id,
      object: chat ? 'chat.completion' : 'text_completion',
      created,
      model,
      choices: [choice],
      usage: openAiUsage(usage),
      service_tier: 'default',
      system_fingerprint: fingerprint,
      ...extra,
    };
    return { protocol: 'openai', status: 200, contentType: 'application/json', headers: { 'x-request-id': nextId('req_') }, chunks: [JSON.stringify(payload)], stream, model, usage: canonical };
  }
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const base = { id, object, created, model, system_fingerprint: fingerprint };
  const withUsageNull = includeUsage ? { usage: null } : {};
  const chunks: string[] = [];
  const pieces = words(text);
  if (chat) {
    chunks.push(sse({ ...base, service_tier: 'default', choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...withUsageNull }));
  }
  for (const piece of pieces) {
    const choice = chat ? { index: 0, delta: { content: piece }, logprobs: null, finish_reason: null } : { text: piece, index: 0, logprobs: null, finish_reason: null };
    chunks.push(sse({ ...base, choices: [choice], ...withUsageNull }));
  }
  const last = chat ? { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' } : { text: '', index: 0, logprobs: null, finish_reason: 'stop' };
  // llama.cpp puts its timings on the finishing chunk (and on the usage chunk when asked for usage).
  chunks.push(sse({ ...base, choices: [last], ...withUsageNull, ...extra }));
  if (includeUsage) chunks.push(sse({ ...base, choices: [], usage: openAiUsage(usage), ...extra }));
  chunks.push('data: [DONE]\n\n');
  return {
    protocol: 'openai',
    status: 200,
    contentType: 'text/event-stream; charset=utf-8',
    headers: { 'cache-control': 'no-cache', 'x-request-id': nextId('req_') },
    chunks,
    stream,
    model,
    usage: includeUsage || timings ? canonical : null,
  };
}

function embeddingsAnswer(model: string, usage: TokenUsage): Answer {
  const prompt = usage.inputTokens;
  const payload = {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, 0.015797347, -0.0077780345] }],
    model,
    usage: { prompt_tokens: prompt, total_tokens: prompt },
  };
  return {
    protocol: 'openai',
    status: 200,
    contentType: 'application/json',
    headers: {},
    chunks: [JSON.stringify(payload)],
    stream: false,
    model,
    usage: { inputTokens: prompt, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
  };
}

function responsesAnswer(model: string, stream: boolean, usage: TokenUsage, text: string): Answer {
  const id = nextId('resp_');
  const itemId = nextId('msg_');
  const createdAt = Math.floor(Date.now() / 1000);
  const wireUsage = {
    input_tokens: usage.inputTokens + usage.cacheReadTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.cacheReadTokens + usage.outputTokens,
  };
  const response = (status: string, done: boolean): Record<string, unknown> => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model,
    output: done
      ? [{ id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], text }] }]
      : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1.0,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1.0,
    truncation: 'disabled',
    usage: done ? wireUsage : null,
    user: null,
    metadata: {},
  });
  const canonical: TokenUsage = { ...usage, cacheWriteTokens: 0 };
  if (!stream) {
    return { protocol: 'openai', status: 200, contentType: 'application/json', headers: {}, chunks: [JSON.stringify(response('completed', true))], stream, model, usage: canonical };
  }
  let n = 0;
  const event = (type: string, data: Record<string, unknown>): string => sse({ type, sequence_number: n++, ...data }, type);
  const chunks = [
    event('response.created', { response: response('in_progress', false) }),
    event('response.in_progress', { response: response('in_progress', false) }),
    event('response.output_item.added', { output_index: 0, item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    event('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', annotations: [], text: '' } }),
    ...words(text).map((delta) => event('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta })),
    event('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text }),
    event('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', annotations: [], text } }),
    event('response.output_item.done', {
      output_index: 0,
      item: { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], text }] },
    }),
    event('response.completed', { response: response('completed', true) }),
  ];
  return { protocol: 'openai', status: 200, contentType: 'text/event-stream; charset=utf-8', headers: {}, chunks, stream, model, usage: canonical };
}

function anthropicAnswer(model: string, stream: boolean, usage: TokenUsage, fullDelta: boolean, text: string): Answer {
  const id = nextId('msg_01');
  const headers = { 'request-id': nextId('req_01'), 'anthropic-organization-id': '00000000-0000-0000-0000-000000000000' };
  const wireUsage = {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens: usage.outputTokens,
    service_tier: 'standard',
  };
  if (!stream) {
    const payload = { id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: wireUsage };
    return { protocol: 'anthropic', status: 200, contentType: 'application/json', headers, chunks: [JSON.stringify(payload)], stream, model, usage: { ...usage } };
  }
  const chunks = [
    sse(
      {
        type: 'message_start',
        message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...wireUsage, output_tokens: 1 } },
      },
      'message_start',
    ),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    'event: ping\ndata: {"type": "ping"}\n\n',
    ...words(text).map((piece) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }, 'content_block_delta')),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse(
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: fullDelta
          ? { input_tokens: usage.inputTokens, cache_creation_input_tokens: usage.cacheWriteTokens, cache_read_input_tokens: usage.cacheReadTokens, output_tokens: usage.outputTokens }
          : { output_tokens: usage.outputTokens },
      },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
  return {
    protocol: 'anthropic',
    status: 200,
    contentType: 'text/event-stream; charset=utf-8',
    headers: { ...headers, 'cache-control': 'no-cache' },
    chunks,
    stream,
    model,
    usage: { ...usage },
  };
}

function geminiAnswer(model: string, streaming: boolean, alt: boolean, usage: TokenUsage, thoughts: number, text: string): Answer {
  const responseId = nextId('G2x');
  const prompt = usage.inputTokens + usage.cacheReadTokens;
  const thoughtsTokens = Math.min(thoughts, usage.outputTokens);
  const candidates = usage.outputTokens - thoughtsTokens;
  const fullMetadata: Record<string, unknown> = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + usage.outputTokens,
    ...(usage.cacheReadTokens > 0 ? { cachedContentTokenCount: usage.cacheReadTokens } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(usage.cacheReadTokens > 0 ? { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: usage.cacheReadTokens }] } : {}),
    ...(thoughtsTokens > 0 ? { thoughtsTokenCount: thoughtsTokens } : {}),
  };
  const canonical: TokenUsage = { ...usage, cacheWriteTokens: 0 };
  const chunk = (part: string, last: boolean): Record<string, unknown> => ({
    candidates: [{ content: { parts: [{ text: part }], role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    // Gemini sends usageMetadata on every chunk; only the last one has the final counts.
    usageMetadata: last ? fullMetadata : { promptTokenCount: prompt, totalTokenCount: prompt, promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }] },
    modelVersion: model,
    responseId,
  });
  if (!streaming) {
    return { protocol: 'gemini', status: 200, contentType: 'application/json; charset=UTF-8', headers: {}, chunks: [JSON.stringify(chunk(text, true), null, 2)], stream: false, model, usage: canonical };
  }
  const pieces = words(text);
  const objects = pieces.map((piece, i) => chunk(piece, i === pieces.length - 1));
  if (alt) {
    return {
      protocol: 'gemini',
      status: 200,
      contentType: 'text/event-stream',
      headers: {},
      chunks: objects.map((object) => `data: ${JSON.stringify(object)}\r\n\r\n`),
      stream: true,
      model,
      usage: canonical,
    };
  }
  // Without alt=sse: one JSON array, pretty-printed, its elements flushed as they are generated.
  const chunks = objects.map((object, i) => `${i === 0 ? '[' : '\n,\r\n'}${JSON.stringify(object, null, 2)}`);
  chunks.push('\n]');
  return { protocol: 'gemini', status: 200, contentType: 'application/json; charset=UTF-8', headers: {}, chunks, stream: true, model, usage: canonical };
}

function ollamaAnswer(model: string, stream: boolean, chat: boolean, usage: TokenUsage, text: string): Answer {
  const createdAt = (): string => new Date().toISOString().replace('Z', '123456Z');
  const canonical: TokenUsage = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const final = (content: string): Record<string, unknown> => ({
    model,
    created_at: createdAt(),
    ...(chat ? { message: { role: 'assistant', content } } : { response: content }),
    done_reason: 'stop',
    done: true,
    ...(chat ? {} : { context: [128006, 882, 128007, 271, 9906] }),
    total_duration: 5191566416,
    load_duration: 2154458,
    prompt_eval_count: usage.inputTokens,
    prompt_eval_duration: 383809000,
    eval_count: usage.outputTokens,
    eval_duration: 4799921000,
  });
  if (!stream) {
    return { protocol: 'ollama', status: 200, contentType: 'application/json; charset=utf-8', headers: {}, chunks: [JSON.stringify(final(text))], stream, model, usage: canonical };
  }
  const chunks = words(text).map(
    (piece) => `${JSON.stringify({ model, created_at: createdAt(), ...(chat ? { message: { role: 'assistant', content: piece } } : { response: piece }), done: false })}\n`,
  );
  chunks.push(`${JSON.stringify(final(''))}\n`);
  return { protocol: 'ollama', status: 200, contentType: 'application/x-ndjson', headers: {}, chunks, stream, model, usage: canonical };
}

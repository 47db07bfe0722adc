import { describe, expect, it } from 'vitest';
import { JSON_TYPE, SSE, sse, tapBody } from './helpers.js';

// Shapes as OpenAI, llama.cpp and vLLM send them (captured responses, ids shortened).
const chatCompletion = {
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  object: 'chat.completion',
  created: 1741570283,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: 1117,
    completion_tokens: 46,
    total_tokens: 1163,
    prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_fc9f1d7035',
};

const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'chatcmpl-123',
  object: 'chat.completion.chunk',
  created: 1694268190,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_44709d6fcb',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...extra,
});

describe('openai chat/completions', () => {
  it('maps usage: input = prompt_tokens - cached_tokens, cacheRead = cached_tokens, output = completion_tokens', async () => {
    const result = await tapBody('openai', { path: '/v1/chat/completions', contentType: JSON_TYPE }, JSON.stringify(chatCompletion));
    expect(result.usage).toEqual({ inputTokens: 93, cacheReadTokens: 1024, outputTokens: 46, cacheWriteTokens: 0 });
    expect(result.model).toBe('gpt-4o-2024-08-06');
    expect(result.streamError).toBeNull();
  });

  it('treats a missing prompt_tokens_details as no cache hit', async () => {
    const body = { ...chatCompletion, usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } };
    const result = await tapBody('openai', { contentType: JSON_TYPE }, JSON.stringify(body));
    expect(result.usage).toEqual({ inputTokens: 12, cacheReadTokens: 0, outputTokens: 3, cacheWriteTokens: 0 });
  });

  it('reads the final usage chunk of a stream (include_usage: every other chunk has usage null)', async () => {
    const body = sse([
      { data: chunk({ role: 'assistant', content: '', refusal: null }, null, { usage: null }) },
      { data: chunk({ content: 'Hello' }, null, { usage: null }) },
      { data: chunk({}, 'stop', { usage: null }) },
      { data: { ...chunk({}, null), choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0 } } } },
      { data: '[DONE]' },
    ]);
    const result = await tapBody('openai', { path: '/v1/chat/completions', contentType: SSE }, body);
    expect(result.usage).toEqual({ inputTokens: 20, cacheReadTokens: 0, outputTokens: 9, cacheWriteTokens: 0 });
    expect(result.model).toBe('gpt-4o-mini-2024-07-18');
  });

  it('a stream without a usage chunk counts nothing', async () => {
    const body = sse([{ data: chunk({ content: 'Hi' }, null) }, { data: chunk({}, 'stop') }, { data: '[DONE]' }]);
    const result = await tapBody('openai', { contentType: SSE }, body);
    expect(result.usage).toBeNull();
    expect(result.model).toBe('gpt-4o-mini-2024-07-18');
  });

  it('vLLM: a usage-only chunk whose choices is null still counts', async () => {
    const body = sse([{ data: chunk({ content: 'x' }, 'stop') }, { data: { id: 'c', object: 'chat.completion.chunk', model: 'Qwen/Qwen3-8B', choices: null, usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } } }, { data: '[DONE]' }]);
    expect((await tapBody('openai', { contentType: SSE }, body)).usage).toEqual({ inputTokens: 7, cacheReadTokens: 0, outputTokens: 2, cacheWriteTokens: 0 });
  });

  it('reads legacy completions and embeddings (embeddings have no output)', async () => {
    const completion = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct', choices: [{ text: 'x', index: 0, logprobs: null, finish_reason: 'length' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } };
    expect((await tapBody('openai', { path: '/v1/completions', contentType: JSON_TYPE }, JSON.stringify(completion))).usage).toEqual({ inputTokens: 5, cacheReadTokens: 0, outputTokens: 7, cacheWriteTokens: 0 });
    const embeddings = { object: 'list', data: [{ object: 'embedding', embedding: [0.0023064255, -0.009327292], index: 0 }], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } };
    const result = await tapBody('openai', { path: '/v1/embeddings', contentType: JSON_TYPE }, JSON.stringify(embeddings));
    expect(result.usage).toEqual({ inputTokens: 8, cacheReadTokens: 0, outputTokens: 0, cacheWriteTokens: 0 });
    expect(result.model).toBe('text-embedding-3-small');
  });

  it('reports an error chunk inside a 200 stream', async () => {
    const body = sse([{ data: chunk({ content: 'Hel' }, null) }, { data: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } } }]);
    const result = await tapBody('openai', { contentType: SSE }, body);
    expect(result.streamError).toBe('server_error: The server had an error while processing your request.');
    expect(result.streamErrorCode).toBe('server_error');
    expect(result.usage).toBeNull();
  });

  it('on a non-2xx answer reads usage only: no model, no stream error', async () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect(await tapBody('openai', { status: 429, contentType: JSON_TYPE }, body)).toEqual({ usage: null, model: null, responseId: null, streamError: null, streamErrorCode: null });
    const withUsage = JSON.stringify({ ...chatCompletion, error: { message: 'x' } });
    const result = await tapBody('openai', { status: 500, contentType: JSON_TYPE }, withUsage);
    expect(result.usage?.outputTokens).toBe(46);
    expect(result.model).toBeNull();
    expect(result.streamError).toBeNull();
  });
});

describe('openai Responses API', () => {
  const usage = { input_tokens: 2006, input_tokens_details: { cached_tokens: 1920 }, output_tokens: 300, output_tokens_details: { reasoning_tokens: 256 }, total_tokens: 2306 };
  const response = (status: string, withUsage: boolean): Record<string, unknown> => ({
    id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
    object: 'response',
    created_at: 1741476542,
    status,
    error: null,
    model: 'gpt-5-mini-2025-08-07',
    output: [],
    usage: withUsage ? usage : null,
  });

  it('maps input_tokens (minus cached), cached_tokens and output_tokens of a JSON response', async () => {
    const result = await tapBody('openai', { path: '/v1/responses', contentType: JSON_TYPE }, JSON.stringify(response('completed', true)));
    expect(result.usage).toEqual({ inputTokens: 86, cacheReadTokens: 1920, outputTokens: 300, cacheWriteTokens: 0 });
    expect(result.model).toBe('gpt-5-mini-2025-08-07');
  });

  it('takes the usage of response.completed in a stream', async () => {
    const body = sse([
      { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: response('in_progress', false) } },
      { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' } },
      { event: 'response.completed', data: { type: 'response.completed', sequence_number: 2, response: response('completed', true) } },
    ]);
    const result = await tapBody('openai', { path: '/v1/responses', contentType: SSE }, body);
    expect(result.usage).toEqual({ inputTokens: 86, cacheReadTokens: 1920, outputTokens: 300, cacheWriteTokens: 0 });
    expect(result.model).toBe('gpt-5-mini-2025-08-07');
  });

  it('reports stream errors: an error event, and response.failed', async () => {
    const errorEvent = sse([{ event: 'error', data: { type: 'error', code: 'ERR_SOMETHING', message: 'Something went wrong', param: null, sequence_number: 1 } }]);
    const first = await tapBody('openai', { contentType: SSE }, errorEvent);
    expect(first.streamError).toBe('ERR_SOMETHING: Something went wrong');
    expect(first.streamErrorCode).toBe('ERR_SOMETHING');
    const failed = sse([
      { event: 'response.failed', data: { type: 'response.failed', sequence_number: 3, response: { ...response('failed', false), error: { code: 'server_error', message: 'The model failed to generate a response.' } } } },
    ]);
    const second = await tapBody('openai', { contentType: SSE }, failed);
    expect(second.streamError).toBe('server_error: The model failed to generate a response.');
  });
});

describe('llama.cpp timings', () => {
  const timings = { cache_n: 236, prompt_n: 1, prompt_ms: 30.958, prompt_per_token_ms: 30.958, prompt_per_second: 32.3, predicted_n: 35, predicted_ms: 661.064, predicted_per_token_ms: 18.89, predicted_per_second: 52.94 };

  it('prefers timings over usage: input = prompt_n, cacheRead = cache_n, output = predicted_n', async () => {
    const body = { ...chatCompletion, model: 'Qwen3-Coder-30B-A3B-Instruct-UD-64K', system_fingerprint: 'b6510-703f9e32', usage: { completion_tokens: 35, prompt_tokens: 237, total_tokens: 272 }, timings };
    const result = await tapBody('openai', { path: '/v1/chat/completions', contentType: JSON_TYPE }, JSON.stringify(body));
    expect(result.usage).toEqual({ inputTokens: 1, cacheReadTokens: 236, outputTokens: 35, cacheWriteTokens: 0 });
    expect(result.model).toBe('Qwen3-Coder-30B-A3B-Instruct-UD-64K');
  });

  it('reads timings on the finishing chunk of a stream that has no usage chunk', async () => {
    const body = sse([{ data: chunk({ content: 'Hi' }, null) }, { data: chunk({}, 'stop', { timings }) }, { data: '[DONE]' }]);
    expect((await tapBody('openai', { contentType: SSE }, body)).usage).toEqual({ inputTokens: 1, cacheReadTokens: 236, outputTokens: 35, cacheWriteTokens: 0 });
  });

  it('reads the native /completion endpoint', async () => {
    const body = { index: 0, content: ' Paris.', tokens: [], id_slot: 0, stop: true, model: 'gpt-3.5-turbo', tokens_predicted: 35, tokens_evaluated: 237, stop_type: 'eos', tokens_cached: 236, timings };
    const result = await tapBody('openai', { path: '/completion', contentType: JSON_TYPE }, JSON.stringify(body));
    expect(result.usage).toEqual({ inputTokens: 1, cacheReadTokens: 236, outputTokens: 35, cacheWriteTokens: 0 });
    const streamed = `data: ${JSON.stringify({ index: 0, content: ' Paris', stop: false })}\n\ndata: ${JSON.stringify({ ...body, content: '' })}\n\n`;
    expect((await tapBody('openai', { path: '/completion', contentType: SSE }, streamed)).usage?.cacheReadTokens).toBe(236);
  });
});

import { describe, expect, it } from 'vitest';
import { JSON_TYPE, NDJSON, SSE, tapBody } from './helpers.js';

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
const final = {
  model: 'llama3.2',
  created_at: '2023-08-04T19:22:45.499127Z',
  message: { role: 'assistant', content: '' },
  done_reason: 'stop',
  done: true,
  total_duration: 4883583458,
  load_duration: 1334875,
  prompt_eval_count: 26,
  prompt_eval_duration: 342546000,
  eval_count: 282,
  eval_duration: 4535599000,
};

describe('ollama native API', () => {
  it('/api/chat NDJSON: the final done:true object gives prompt_eval_count and eval_count', async () => {
    const body =
      line({ model: 'llama3.2', created_at: '2023-08-04T08:52:19.385406455-07:00', message: { role: 'assistant', content: 'The' }, done: false }) +
      line({ model: 'llama3.2', created_at: '2023-08-04T08:52:19.385406455-07:00', message: { role: 'assistant', content: ' sky' }, done: false }) +
      line(final);
    const result = await tapBody('ollama', { path: '/api/chat', contentType: NDJSON }, body);
    expect(result.usage).toEqual({ inputTokens: 26, outputTokens: 282, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(result.model).toBe('llama3.2');
  });

  it('/api/generate with stream:false answers one JSON object', async () => {
    const { message: _message, ...rest } = final;
    const body = JSON.stringify({ ...rest, response: 'The sky is blue because...', context: [1, 2, 3] });
    const result = await tapBody('ollama', { path: '/api/generate', contentType: 'application/json; charset=utf-8' }, body);
    expect(result.usage).toEqual({ inputTokens: 26, outputTokens: 282, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('a load-only answer (done:true, no counts) counts nothing', async () => {
    const body = line({ model: 'llama3.2', created_at: '2024-09-12T21:17:29.110811Z', response: '', done: true, done_reason: 'load' });
    expect((await tapBody('ollama', { path: '/api/generate', contentType: NDJSON }, body)).usage).toBeNull();
  });

  it('a stream cut before the final object counts nothing', async () => {
    const body = line({ model: 'llama3.2', created_at: 'x', message: { role: 'assistant', content: 'The' }, done: false });
    const result = await tapBody('ollama', { path: '/api/chat', contentType: NDJSON }, body);
    expect(result.usage).toBeNull();
    expect(result.model).toBe('llama3.2');
  });

  it('reports an error line inside the stream', async () => {
    const body = line({ model: 'llama3.2', created_at: 'x', message: { role: 'assistant', content: 'The' }, done: false }) + line({ error: 'an error was encountered while running the model: unexpected EOF' });
    const result = await tapBody('ollama', { path: '/api/chat', contentType: NDJSON }, body);
    expect(result.streamError).toBe('an error was encountered while running the model: unexpected EOF');
    expect(result.streamErrorCode).toBeNull();
  });
});

describe("a route of protocol ollama reads Ollama's OpenAI-compatible /v1 endpoints as openai does", () => {
  it('streamed chat with a usage chunk', async () => {
    const chunk = { id: 'chatcmpl-912', object: 'chat.completion.chunk', created: 1731000000, model: 'llama3.2', system_fingerprint: 'fp_ollama', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] };
    const usageChunk = { ...chunk, choices: [], usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 } };
    const body = `data: ${JSON.stringify(chunk)}\n\ndata: ${JSON.stringify(usageChunk)}\n\ndata: [DONE]\n\n`;
    const result = await tapBody('ollama', { path: '/v1/chat/completions', contentType: SSE }, body);
    expect(result.usage).toEqual({ inputTokens: 31, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(result.model).toBe('llama3.2');
  });

  it('and a route of protocol openai pointed at an Ollama reads its native final object too', async () => {
    expect((await tapBody('openai', { path: '/api/chat', contentType: JSON_TYPE }, JSON.stringify(final))).usage).toEqual({ inputTokens: 26, outputTokens: 282, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});

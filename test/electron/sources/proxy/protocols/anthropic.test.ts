import { describe, expect, it } from 'vitest';
import { JSON_TYPE, SSE, sse, tapBody } from './helpers.js';

const messageStart = (usage: Record<string, unknown>): { event: string; data: unknown } => ({
  event: 'message_start',
  data: {
    type: 'message_start',
    message: { id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5-20250929', stop_reason: null, stop_sequence: null, usage },
  },
});
const body = [
  { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
  { event: 'ping', data: { type: 'ping' } },
  { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } } },
  { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } } },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
];
const messageDelta = (usage: Record<string, unknown>): { event: string; data: unknown } => ({
  event: 'message_delta',
  data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage },
});
const messageStop = { event: 'message_stop', data: { type: 'message_stop' } };

describe('anthropic messages', () => {
  it('maps a JSON message: input, cache read, cache creation (write), output', async () => {
    const message = {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-1-20250805',
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 2095, cache_creation_input_tokens: 2048, cache_read_input_tokens: 1800, output_tokens: 503, service_tier: 'standard' },
    };
    const result = await tapBody('anthropic', { path: '/v1/messages', contentType: JSON_TYPE }, JSON.stringify(message));
    expect(result.usage).toEqual({ inputTokens: 2095, cacheReadTokens: 1800, cacheWriteTokens: 2048, outputTokens: 503 });
    expect(result.model).toBe('claude-opus-4-1-20250805');
  });

  it('keeps the 1-hour part of the cache writes (cache_creation.ephemeral_1h_input_tokens)', async () => {
    const usage = {
      input_tokens: 20,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      output_tokens: 7,
    };
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage };
    const result = await tapBody('anthropic', { path: '/v1/messages', contentType: JSON_TYPE }, JSON.stringify(message));
    expect(result.usage).toEqual({ inputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 7 });
  });

  it('streams: message_start gives input and cache counts, the final message_delta the output', async () => {
    const stream = sse([
      messageStart({ input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 3100, output_tokens: 2 }),
      ...body,
      messageDelta({ output_tokens: 89 }),
      messageStop,
    ]);
    const result = await tapBody('anthropic', { path: '/v1/messages', contentType: SSE }, stream);
    expect(result.usage).toEqual({ inputTokens: 472, cacheReadTokens: 3100, cacheWriteTokens: 0, outputTokens: 89 });
    expect(result.model).toBe('claude-sonnet-4-5-20250929');
  });

  it('message_delta usage is cumulative: the latest value of each field wins, nulls leave fields alone', async () => {
    const stream = sse([
      messageStart({ input_tokens: 10, cache_creation_input_tokens: null, cache_read_input_tokens: null, output_tokens: 1 }),
      ...body,
      // A tool-using turn sends several deltas; newer APIs repeat input and cache counts in them.
      messageDelta({ output_tokens: 40 }),
      messageDelta({ input_tokens: 12, cache_creation_input_tokens: 300, cache_read_input_tokens: null, output_tokens: 77 }),
      messageStop,
    ]);
    const result = await tapBody('anthropic', { contentType: SSE }, stream);
    expect(result.usage).toEqual({ inputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 300, outputTokens: 77 });
  });

  it('a stream cut after message_start reports what it saw', async () => {
    const stream = sse([messageStart({ input_tokens: 25, output_tokens: 1 }), ...body.slice(0, 3)]);
    const result = await tapBody('anthropic', { contentType: SSE }, stream);
    expect(result.usage).toEqual({ inputTokens: 25, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 1 });
  });

  it('reports an error event inside the stream (overloaded)', async () => {
    const stream = sse([messageStart({ input_tokens: 25, output_tokens: 1 }), ...body.slice(0, 2), { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }]);
    const result = await tapBody('anthropic', { contentType: SSE }, stream);
    expect(result.streamError).toBe('overloaded_error: Overloaded');
    expect(result.streamErrorCode).toBe('overloaded_error');
  });

  it('an error status body carries no usage and names nothing', async () => {
    const error = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } });
    expect(await tapBody('anthropic', { status: 429, contentType: JSON_TYPE }, error)).toEqual({ usage: null, model: null, responseId: null, streamError: null, streamErrorCode: null });
  });
});

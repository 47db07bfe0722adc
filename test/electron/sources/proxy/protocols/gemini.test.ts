import { describe, expect, it } from 'vitest';
import { JSON_TYPE, tapBody } from './helpers.js';

const response = (text: string, usageMetadata: Record<string, unknown>, finish = false): Record<string, unknown> => ({
  candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finish ? { finishReason: 'STOP' } : {}), index: 0 }],
  usageMetadata,
  modelVersion: 'gemini-2.5-flash',
  responseId: 'vPjUaKyqL5qxz7IPs8-UmQ4',
});
const finalUsage = {
  promptTokenCount: 2543,
  candidatesTokenCount: 310,
  totalTokenCount: 3298,
  cachedContentTokenCount: 2048,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 2543 }],
  cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 2048 }],
  thoughtsTokenCount: 445,
};
const expected = { inputTokens: 495, cacheReadTokens: 2048, outputTokens: 755, cacheWriteTokens: 0 };

describe('gemini generateContent', () => {
  it('maps usageMetadata: input = prompt - cached, cacheRead = cached, output = candidates + thoughts', async () => {
    const result = await tapBody('gemini', { path: '/v1beta/models/gemini-2.5-flash:generateContent', contentType: 'application/json; charset=UTF-8' }, JSON.stringify(response('Hi', finalUsage, true), null, 2));
    expect(result.usage).toEqual(expected);
    expect(result.model).toBe('gemini-2.5-flash');
  });

  it('without cache or thinking the absent counts are zero', async () => {
    const result = await tapBody('gemini', { contentType: JSON_TYPE }, JSON.stringify(response('Hi', { promptTokenCount: 8, candidatesTokenCount: 9, totalTokenCount: 17 }, true)));
    expect(result.usage).toEqual({ inputTokens: 8, cacheReadTokens: 0, outputTokens: 9, cacheWriteTokens: 0 });
  });
});

describe('gemini streamGenerateContent', () => {
  const early = { promptTokenCount: 2543, totalTokenCount: 2543, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 2543 }] };
  const chunks = [response('The', early), response(' answer', early), response(' is 4.', finalUsage, true)];

  it('alt=sse: every chunk carries usageMetadata, the last one wins (events end in CRLF CRLF)', async () => {
    const body = chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join('');
    const result = await tapBody('gemini', { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', contentType: 'text/event-stream' }, body);
    expect(result.usage).toEqual(expected);
    expect(result.model).toBe('gemini-2.5-flash');
  });

  it('without alt=sse: a streamed JSON array, read at the end', async () => {
    const body = `[${chunks.map((c) => JSON.stringify(c, null, 2)).join('\n,\r\n')}\n]`;
    const result = await tapBody('gemini', { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', contentType: 'application/json; charset=UTF-8' }, body);
    expect(result.usage).toEqual(expected);
  });

  it('a JSON array cut mid-element keeps the complete elements', async () => {
    const whole = `[${chunks.map((c) => JSON.stringify(c, null, 2)).join('\n,\r\n')}\n]`;
    const cut = whole.slice(0, whole.lastIndexOf('"thoughtsTokenCount"'));
    const result = await tapBody('gemini', { contentType: JSON_TYPE }, cut);
    // Only the early chunks arrived whole: prompt counted, no output yet.
    expect(result.usage).toEqual({ inputTokens: 2543, cacheReadTokens: 0, outputTokens: 0, cacheWriteTokens: 0 });
  });

  it('reports an error object inside a 200 stream', async () => {
    const body = `[${JSON.stringify(chunks[0])},\n${JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } })}]`;
    const result = await tapBody('gemini', { contentType: JSON_TYPE }, body);
    expect(result.streamError).toBe('UNAVAILABLE: The model is overloaded. Please try again later.');
    expect(result.streamErrorCode).toBe('UNAVAILABLE');
  });
});

import { describe, expect, it } from 'vitest';
import { createUsageTap } from '../../../../../electron/sources/proxy/protocols/index.js';
import { SCAN_JSON_ABOVE_BYTES } from '../../../../../electron/sources/proxy/protocols/tap.js';
import { JSON_TYPE, gzip, splitAt, tapBody, tapChunks } from './helpers.js';

// Answers past SCAN_JSON_ABOVE_BYTES are read field by field (the text skipped unparsed): they must
// give exactly what parsing them whole gives, whatever their size, protocol and escapes.
const longText = (bytes: number) => 'A "quoted" word, a \\ backslash, 你好 and }{ ][ braces. '.repeat(Math.ceil(bytes / 60));

const openaiAnswer = (text: string) =>
  JSON.stringify({
    id: 'chatcmpl-0123456789abcdef',
    object: 'chat.completion',
    model: 'gpt-5-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: text, usage: { prompt_tokens: 999 } }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1200, completion_tokens: 350, total_tokens: 1550, prompt_tokens_details: { cached_tokens: 200 } },
  });

describe('large JSON answers', () => {
  it('OpenAI: usage, model and id read past the size where the text is skipped, small or large alike', async () => {
    for (const size of [100, SCAN_JSON_ABOVE_BYTES + 1, 200_000]) {
      const body = openaiAnswer(longText(size));
      const result = await tapBody('openai', { contentType: JSON_TYPE }, body);
      expect(result.usage, `size ${body.length}`).toEqual({ inputTokens: 1000, cacheReadTokens: 200, cacheWriteTokens: 0, outputTokens: 350 });
      expect(result.model).toBe('gpt-5-mini');
      expect(result.responseId).toBe('chatcmpl-0123456789abcdef');
    }
  });

  it('a nested "usage" inside the text is not taken for the answer\'s own', async () => {
    const body = openaiAnswer(`${longText(SCAN_JSON_ABOVE_BYTES * 2)}"usage":{"prompt_tokens":5}`);
    const result = await tapBody('openai', { contentType: JSON_TYPE }, body);
    expect(result.usage?.inputTokens).toBe(1000);
  });

  it('Anthropic and Gemini answers, split into many chunks', async () => {
    const anthropic = Buffer.from(
      JSON.stringify({
        id: 'msg_0123456789abcdefghij',
        type: 'message',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: longText(50_000) }],
        usage: { input_tokens: 40, cache_read_input_tokens: 3000, cache_creation_input_tokens: 100, output_tokens: 900 },
      }),
    );
    const offsets = Array.from({ length: 20 }, (_, i) => Math.floor(((i + 1) * anthropic.length) / 21));
    const a = await tapChunks('anthropic', { contentType: JSON_TYPE }, splitAt(anthropic, offsets));
    expect(a.usage).toEqual({ inputTokens: 40, cacheReadTokens: 3000, cacheWriteTokens: 100, outputTokens: 900 });
    expect(a.model).toBe('claude-sonnet-4-5');

    const gemini = JSON.stringify({
      candidates: [{ content: { parts: [{ text: longText(30_000) }] } }],
      usageMetadata: { promptTokenCount: 70, candidatesTokenCount: 30, cachedContentTokenCount: 20 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'resp-0123456789abcdef',
    });
    const g = await tapBody('gemini', { contentType: JSON_TYPE }, gemini);
    expect(g.usage).toEqual({ inputTokens: 50, cacheReadTokens: 20, cacheWriteTokens: 0, outputTokens: 30 });
    expect(g.model).toBe('gemini-2.5-flash');
  });

  it('embeddings: the vectors are skipped, the usage is read', async () => {
    const vector = Array.from({ length: 3072 }, (_, i) => Math.sin(i) / 7);
    const body = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector }], model: 'text-embedding-3-large', usage: { prompt_tokens: 8, total_tokens: 8 } });
    const result = await tapBody('openai', { contentType: JSON_TYPE }, body);
    expect(result.usage).toEqual({ inputTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0 });
  });

  it('a large answer that is not one JSON object still falls back to the lenient readings', async () => {
    const lines = [
      JSON.stringify({ model: 'qwen2.5:7b', message: { content: longText(SCAN_JSON_ABOVE_BYTES) }, done: false }),
      JSON.stringify({ model: 'qwen2.5:7b', done: true, prompt_eval_count: 33, eval_count: 5 }),
    ].join('\n');
    const result = await tapBody('ollama', { contentType: JSON_TYPE }, lines);
    expect(result.usage).toEqual({ inputTokens: 33, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});

describe('finishNow', () => {
  it('answers at once for an uncompressed body, with what finish() gives', async () => {
    const body = Buffer.from(openaiAnswer('hi'));
    const tap = createUsageTap('openai', { path: '/v1/chat/completions', status: 200, contentType: JSON_TYPE, contentEncoding: undefined });
    tap.push(body);
    const now = tap.finishNow();
    expect(now?.usage?.outputTokens).toBe(350);
    expect(await tap.finish()).toEqual(now);
  });

  it('is null for a compressed body, which only finish() can wait for', async () => {
    const tap = createUsageTap('openai', { path: '/v1/chat/completions', status: 200, contentType: JSON_TYPE, contentEncoding: 'gzip' });
    tap.push(gzip(openaiAnswer('hi')));
    expect(tap.finishNow()).toBeNull();
    expect((await tap.finish()).usage?.outputTokens).toBe(350);
  });
});

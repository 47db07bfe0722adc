import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUsageTap, MAX_BUFFERED_BYTES } from '../../../../../electron/sources/proxy/protocols/index.js';
import { JSON_TYPE, NDJSON, SSE, gzip, splitAt, sse, tapBody, tapChunks } from './helpers.js';

// An Anthropic stream with multi-byte text (so splits fall inside UTF-8 characters too).
const anthropicStream = Buffer.from(
  sse([
    { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-haiku-4-5', stop_reason: null, usage: { input_tokens: 17, cache_read_input_tokens: 4, cache_creation_input_tokens: 2, output_tokens: 1 } } } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
    { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '你好，世界 🌍' } } },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 12 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]),
);
const anthropicUsage = { inputTokens: 17, cacheReadTokens: 4, cacheWriteTokens: 2, outputTokens: 12 };

const ollamaStream = Buffer.from(
  [
    { model: 'qwen2.5:7b', created_at: '2025-01-01T00:00:00.1Z', message: { role: 'assistant', content: 'Ça va ✓' }, done: false },
    { model: 'qwen2.5:7b', created_at: '2025-01-01T00:00:00.2Z', message: { role: 'assistant', content: '' }, done_reason: 'stop', done: true, total_duration: 1, prompt_eval_count: 33, eval_count: 5 },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n') + '\n',
);
const ollamaUsage = { inputTokens: 33, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

describe('chunk boundaries never change the result', () => {
  it('SSE split in two at every byte position', async () => {
    for (let at = 0; at <= anthropicStream.length; at++) {
      const result = await tapChunks('anthropic', { contentType: SSE }, splitAt(anthropicStream, [at]));
      expect(result.usage, `split at ${at}`).toEqual(anthropicUsage);
      expect(result.model).toBe('claude-haiku-4-5');
    }
  });

  it('NDJSON split in two at every byte position', async () => {
    for (let at = 0; at <= ollamaStream.length; at++) {
      const result = await tapChunks('ollama', { contentType: NDJSON }, splitAt(ollamaStream, [at]));
      expect(result.usage, `split at ${at}`).toEqual(ollamaUsage);
    }
  });

  it('byte by byte', async () => {
    const bytes = (buffer: Buffer): Buffer[] => [...buffer].map((byte) => Buffer.from([byte]));
    expect((await tapChunks('anthropic', { contentType: SSE }, bytes(anthropicStream))).usage).toEqual(anthropicUsage);
    expect((await tapChunks('ollama', { contentType: NDJSON }, bytes(ollamaStream))).usage).toEqual(ollamaUsage);
  });

  it('property: any split of SSE, NDJSON and gzip streams', async () => {
    const gzipped = zlib.gzipSync(anthropicStream);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.nat({ max: anthropicStream.length }), { maxLength: 20 }), async (offsets) => {
        expect((await tapChunks('anthropic', { contentType: SSE }, splitAt(anthropicStream, offsets))).usage).toEqual(anthropicUsage);
        const ndjsonOffsets = offsets.map((o) => o % (ollamaStream.length + 1));
        expect((await tapChunks('ollama', { contentType: NDJSON }, splitAt(ollamaStream, [...new Set(ndjsonOffsets)]))).usage).toEqual(ollamaUsage);
        const gzipOffsets = [...new Set(offsets.map((o) => o % (gzipped.length + 1)))];
        expect((await tapChunks('anthropic', { contentType: SSE, contentEncoding: 'gzip' }, splitAt(gzipped, gzipOffsets))).usage).toEqual(anthropicUsage);
      }),
      { numRuns: 150 },
    );
  });

  it('CRLF and CR line endings', async () => {
    const crlf = anthropicStream.toString().replaceAll('\n', '\r\n');
    expect((await tapBody('anthropic', { contentType: SSE }, crlf)).usage).toEqual(anthropicUsage);
    expect((await tapBody('ollama', { contentType: NDJSON }, ollamaStream.toString().replaceAll('\n', '\r\n'))).usage).toEqual(ollamaUsage);
  });
});

describe('compressed bodies are read from a decompressed copy', () => {
  const json = JSON.stringify({ id: 'msg_1', type: 'message', model: 'claude-x', content: [], usage: { input_tokens: 3, output_tokens: 4 } });
  const usage = { inputTokens: 3, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 };

  it('gzip, br, deflate (zlib-wrapped and raw)', async () => {
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'gzip' }, gzip(json))).usage).toEqual(usage);
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'br' }, zlib.brotliCompressSync(json))).usage).toEqual(usage);
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'deflate' }, zlib.deflateSync(json))).usage).toEqual(usage);
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'deflate' }, zlib.deflateRawSync(json))).usage).toEqual(usage);
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'identity' }, json)).usage).toEqual(usage);
  });

  it('a gzip stream cut mid-way reports what was decoded', async () => {
    const compressed = gzip(anthropicStream.toString());
    const result = await tapBody('anthropic', { contentType: SSE, contentEncoding: 'gzip' }, compressed.subarray(0, compressed.length - 12));
    expect(result.model).toBe('claude-haiku-4-5');
    expect(result.usage?.inputTokens).toBe(17);
  });

  it('garbage under a gzip label, or an unknown encoding: usage null, no exception', async () => {
    expect(await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'gzip' }, json)).toEqual({ usage: null, model: null, responseId: null, streamError: null, streamErrorCode: null });
    expect((await tapBody('anthropic', { contentType: JSON_TYPE, contentEncoding: 'zstd' }, json)).usage).toBeNull();
  });
});

describe('malformed bodies give usage null, never an exception', () => {
  it('garbage lines, truncated JSON, data that is not JSON', async () => {
    const garbage = 'hello\n\ndata: {"type":"message_start","message":{"usage":{"input_tok\n\ndata: not json\n\n:\n\nevent\n\n\u0000\u0001\ndata: [DONE]\n\n';
    expect((await tapBody('anthropic', { contentType: SSE }, garbage)).usage).toBeNull();
    expect((await tapBody('ollama', { contentType: NDJSON }, '{"done":true,"prompt_eval_count":\ngarbage\n[1,\n')).usage).toBeNull();
    expect((await tapBody('openai', { contentType: JSON_TYPE }, '{"usage":{"prompt_tokens":3,')).usage).toBeNull();
    expect((await tapBody('openai', { contentType: JSON_TYPE }, '')).usage).toBeNull();
  });

  it('values of the wrong type are not counts', async () => {
    const body = JSON.stringify({ model: 7, usage: { prompt_tokens: '12', completion_tokens: -3 } });
    expect(await tapBody('openai', { contentType: JSON_TYPE }, body)).toMatchObject({ usage: null, model: '7' });
    const anthropic = JSON.stringify({ type: 'message', usage: { input_tokens: 'x', output_tokens: null } });
    expect((await tapBody('anthropic', { contentType: JSON_TYPE }, anthropic)).usage).toBeNull();
  });

  it('garbage between good events does not lose them', async () => {
    const body = `garbage\n\n${anthropicStream.toString()}data: {broken\n\n`;
    expect((await tapBody('anthropic', { contentType: SSE }, body)).usage).toEqual(anthropicUsage);
  });

  it('push after finish, and random bytes, never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(SSE, NDJSON, JSON_TYPE), fc.constantFrom(undefined, 'gzip', 'br', 'deflate'), async (bytes, contentType, contentEncoding) => {
        const tap = createUsageTap('openai', { path: '/', status: 200, contentType, contentEncoding });
        tap.push(Buffer.from(bytes));
        const result = await tap.finish();
        tap.push(Buffer.from(bytes));
        expect(result).toHaveProperty('usage');
      }),
      { numRuns: 200 },
    );
  });
});

describe('a stream cut at its very end', () => {
  const usageChunk = 'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}';

  it('still reads a last event whose data is whole but whose blank line never came', async () => {
    expect((await tapBody('openai', { contentType: SSE }, usageChunk)).usage).toEqual({ inputTokens: 4, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect((await tapBody('openai', { contentType: SSE }, `${usageChunk}\n`)).usage?.outputTokens).toBe(2);
    expect((await tapBody('ollama', { contentType: NDJSON }, ollamaStream.toString().trimEnd())).usage).toEqual(ollamaUsage);
  });

  it('but not one cut inside its JSON', async () => {
    expect((await tapBody('openai', { contentType: SSE }, usageChunk.slice(0, -3))).usage).toBeNull();
  });
});

describe('untyped or mislabelled bodies', () => {
  it('reads SSE sent without an event-stream content type', async () => {
    expect((await tapBody('anthropic', { contentType: undefined }, anthropicStream)).usage).toEqual(anthropicUsage);
  });

  it('reads NDJSON sent as application/json', async () => {
    expect((await tapBody('ollama', { contentType: JSON_TYPE }, ollamaStream)).usage).toEqual(ollamaUsage);
  });
});

describe('the 16 MiB cap on what is buffered', () => {
  it('a JSON body over the cap gives usage null', async () => {
    const filler = 'x'.repeat(MAX_BUFFERED_BYTES);
    const body = JSON.stringify({ model: 'm', content: filler, usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect(await tapBody('openai', { contentType: JSON_TYPE }, body)).toEqual({ usage: null, model: null, responseId: null, streamError: null, streamErrorCode: null });
  });

  it('a JSON body just under the cap is read', async () => {
    const shell = JSON.stringify({ model: 'm', content: '', usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const body = JSON.stringify({ model: 'm', content: 'x'.repeat(MAX_BUFFERED_BYTES - shell.length), usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect(Buffer.byteLength(body)).toBe(MAX_BUFFERED_BYTES);
    expect((await tapBody('openai', { contentType: JSON_TYPE }, body)).usage?.outputTokens).toBe(1);
  });

  it('a stream is not capped as a whole, only an endless line or event', async () => {
    const many = Array.from({ length: 2000 }, () => anthropicStream.toString()).join('');
    expect((await tapBody('anthropic', { contentType: SSE }, many)).usage).toEqual(anthropicUsage);
    const endless = `data: {"usage":{"input_tokens":5,"output_tokens":1},"x":"${'y'.repeat(MAX_BUFFERED_BYTES)}`;
    const chunks = splitAt(Buffer.from(endless), [1024 * 1024, 8 * 1024 * 1024]);
    expect((await tapChunks('anthropic', { contentType: SSE }, chunks)).usage).toBeNull();
    expect((await tapChunks('ollama', { contentType: NDJSON }, splitAt(Buffer.from(`{"done":true,"eval_count":1,"x":"${'y'.repeat(MAX_BUFFERED_BYTES)}"}`), [4096]))).usage).toBeNull();
  });
});

describe('cost', () => {
  it('reads a long OpenAI stream in well under a millisecond per kilobyte', async () => {
    const chunk = (extra: string): string =>
      `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":"token "},"logprobs":null,"finish_reason":null}],${extra}}\n\n`;
    const body = Buffer.from(Array.from({ length: 5000 }, () => chunk('"usage":null')).join('') + chunk('"usage":{"prompt_tokens":9,"completion_tokens":5000}') + 'data: [DONE]\n\n');
    const pieces = splitAt(body, Array.from({ length: 5000 }, (_, i) => Math.floor((i * body.length) / 5000)).slice(1));
    const started = performance.now();
    const result = await tapChunks('openai', { contentType: SSE }, pieces);
    const elapsed = performance.now() - started;
    expect(result.usage?.outputTokens).toBe(5000);
    // ~1.2 MB; generous bound so a loaded CI machine passes, while a JSON.parse of every chunk would still be caught on a quiet one.
    expect(elapsed).toBeLessThan(1000);
  });
});

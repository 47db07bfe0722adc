import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProxyProtocol } from '../../../../../shared/schemas/integrations.js';
import { inspectRequest } from '../../../../../electron/sources/proxy/protocols/index.js';
import { scanTopLevel, parseRange } from '../../../../../electron/sources/proxy/protocols/json-scan.js';

const inspect = (protocol: ProxyProtocol, path: string, body: string | Buffer, options: { includeUsage?: boolean; contentType?: string; method?: string } = {}) =>
  inspectRequest(protocol, {
    method: options.method ?? 'POST',
    path,
    body: typeof body === 'string' ? Buffer.from(body) : body,
    contentType: 'contentType' in options ? options.contentType : 'application/json',
    includeUsage: options.includeUsage ?? false,
  });

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are "terse".\n' }, { role: 'user', content: 'Hi {there} [0]' }], temperature: 0.2 };

describe('model and stream of a request', () => {
  it('reads the body model and stream flag (openai, anthropic)', () => {
    expect(inspect('openai', '/v1/chat/completions', JSON.stringify({ ...chat, stream: true }))).toMatchObject({ model: 'gpt-4o-mini', stream: true });
    expect(inspect('openai', '/v1/chat/completions', JSON.stringify(chat))).toMatchObject({ model: 'gpt-4o-mini', stream: false });
    expect(inspect('anthropic', '/v1/messages', JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [] }))).toMatchObject({ model: 'claude-sonnet-4-5', stream: true });
  });

  it('only stream === true streams (a string "true" does not)', () => {
    expect(inspect('openai', '/v1/chat/completions', '{"model":"m","stream":"true"}').stream).toBe(false);
  });

  it('reads a model nested deeper only at the top level', () => {
    expect(inspect('openai', '/v1/chat/completions', '{"metadata":{"model":"inner"},"messages":[]}').model).toBeNull();
    expect(inspect('openai', '/v1/chat/completions', '{"metadata":{"model":"inner"},"model":"outer"}').model).toBe('outer');
  });

  it('Gemini: model and streaming from the path', () => {
    const body = JSON.stringify({ contents: [{ parts: [{ text: 'Hi' }] }] });
    expect(inspect('gemini', '/v1beta/models/gemini-2.5-flash:generateContent', body)).toMatchObject({ model: 'gemini-2.5-flash', stream: false });
    expect(inspect('gemini', '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', body)).toMatchObject({ model: 'gemini-2.5-pro', stream: true });
    expect(inspect('gemini', '/v1/models/gemini-2.0-flash-001:streamGenerateContent', body)).toMatchObject({ model: 'gemini-2.0-flash-001', stream: true });
  });

  it('Ollama native chat and generate stream unless the body says stream:false', () => {
    expect(inspect('ollama', '/api/chat', '{"model":"llama3.2","messages":[]}')).toMatchObject({ model: 'llama3.2', stream: true });
    expect(inspect('ollama', '/api/generate', '{"model":"llama3.2","prompt":"x","stream":false}')).toMatchObject({ stream: false });
    expect(inspect('ollama', '/api/embed', '{"model":"all-minilm","input":"x"}')).toMatchObject({ model: 'all-minilm', stream: false });
    expect(inspect('ollama', '/v1/chat/completions', '{"model":"llama3.2","messages":[]}')).toMatchObject({ stream: false });
  });

  it('bodies that are not JSON objects name no model and pass untouched', () => {
    for (const body of ['', 'not json', '[1,2]', '{"model":"m"', '{"model":"m"} trailing', 'model=m']) {
      const buffer = Buffer.from(body);
      const info = inspect('openai', '/v1/chat/completions', buffer, { includeUsage: true });
      expect(info).toEqual({ model: null, stream: false, body: buffer });
      expect(info.body).toBe(buffer);
    }
    const multipart = Buffer.from('--x\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--x--');
    expect(inspect('openai', '/v1/audio/transcriptions', multipart, { contentType: 'multipart/form-data; boundary=x' }).model).toBeNull();
    expect(inspect('openai', '/v1/chat/completions', '  {"model":"m"}', { contentType: undefined }).model).toBe('m');
  });
});

describe('includeUsage rewrite', () => {
  const streamed = JSON.stringify({ ...chat, stream: true });

  it('adds stream_options.include_usage to a streamed openai chat or completions call', () => {
    for (const path of ['/v1/chat/completions', '/v1/completions', '/chat/completions', '/v1/chat/completions?api-version=1']) {
      const info = inspect('openai', path, streamed, { includeUsage: true });
      expect(JSON.parse(info.body.toString())).toEqual({ ...chat, stream: true, stream_options: { include_usage: true } });
    }
  });

  it('keeps the other stream_options fields and every other byte', () => {
    const body = '{ "model" : "m", "stream_options": {"continuous_usage_stats": true, "include_usage": false}, "stream": true, "messages": [] }';
    const info = inspect('openai', '/v1/chat/completions', body, { includeUsage: true });
    expect(info.body.toString()).toBe('{ "model" : "m", "stream_options": {"continuous_usage_stats":true,"include_usage":true}, "stream": true, "messages": [] }');
    const nullOptions = inspect('openai', '/v1/chat/completions', '{"stream":true,"stream_options":null}', { includeUsage: true });
    expect(JSON.parse(nullOptions.body.toString())).toEqual({ stream: true, stream_options: { include_usage: true } });
  });

  it('returns the very same Buffer when it does not apply', () => {
    const cases: [ProxyProtocol, string, string, boolean][] = [
      ['openai', '/v1/chat/completions', streamed, false], // route option off
      ['openai', '/v1/chat/completions', JSON.stringify(chat), true], // not streamed
      ['openai', '/v1/chat/completions', JSON.stringify({ ...chat, stream: true, stream_options: { include_usage: true } }), true], // already asks
      ['openai', '/v1/responses', JSON.stringify({ model: 'm', input: 'x', stream: true }), true], // Responses always reports usage
      ['openai', '/v1/embeddings', JSON.stringify({ model: 'm', input: 'x', stream: true }), true],
      ['ollama', '/v1/chat/completions', streamed, true], // only protocol openai
      ['anthropic', '/v1/messages', streamed, true],
    ];
    for (const [protocol, path, text, includeUsage] of cases) {
      const body = Buffer.from(text);
      expect(inspect(protocol, path, body, { includeUsage }).body).toBe(body);
    }
  });

  it('property: the rewritten body is the original object plus include_usage', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string().filter((k) => !['stream', 'stream_options', '__proto__'].includes(k)), fc.jsonValue()), fc.option(fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.jsonValue()), { nil: undefined }), fc.boolean(), (rest, options, pretty) => {
        const original: Record<string, unknown> = { ...rest, stream: true, ...(options === undefined ? {} : { stream_options: options }) };
        const text = pretty ? JSON.stringify(original, null, 2) : JSON.stringify(original);
        const info = inspect('openai', '/v1/chat/completions', text, { includeUsage: true });
        const rewritten = JSON.parse(info.body.toString()) as Record<string, unknown>;
        // Through JSON once, as the wire does (a -0 arrives as 0).
        expect(rewritten).toEqual(JSON.parse(JSON.stringify({ ...original, stream_options: { ...options, include_usage: true } })));
      }),
      { numRuns: 300 },
    );
  });
});

describe('top-level scan', () => {
  it('property: finds exactly the top-level values JSON.parse sees', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(0, 2), (object, indent) => {
        const buffer = Buffer.from(JSON.stringify(object, null, indent));
        const keys = Object.keys(object).slice(0, 3);
        const scan = scanTopLevel(buffer, keys);
        expect(scan).not.toBeNull();
        for (const key of keys) {
          const range = scan?.values.get(key);
          expect(range).toBeDefined();
          if (range !== undefined) expect(parseRange(buffer, range)).toEqual(JSON.parse(JSON.stringify(object[key])));
        }
      }),
      { numRuns: 300 },
    );
  });
});

import zlib from 'node:zlib';
import fc from 'fast-check';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { scanJson } from '../../../../electron/hosts/http/json-body.js';
import { jsonBodyReader, parsePieces, PIECE_BYTES } from '../../../../electron/hosts/http/json-reader.js';
import type { IngestResult, RequestPage } from '../../../../shared/types.js';
import { expectError, HOUR, MINUTE, qs, type TestServer, useServerPerTest } from './helpers.js';

/** The body as it might arrive: its bytes cut at the given points (inside characters too). */
function chunked(text: string, cuts: number[]): Uint8Array[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) chunks.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}

/** What the reader makes of a body cut every `pieceBytes`: the value, or undefined when it parses the whole text. */
function readPieces(chunks: Uint8Array[], pieceBytes: number): unknown {
  const scan = scanJson(chunks, undefined, pieceBytes);
  if (scan.problem !== null || scan.reservedName || scan.pieces === null) return undefined;
  return parsePieces(chunks, scan.pieces);
}

const element = fc.jsonValue({ maxDepth: 3 });
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

describe('a body parsed in pieces', () => {
  it('reads the same value as JSON.parse of the whole text: arrays and { "records": [...] }, any spacing, cut anywhere', () => {
    let inPieces = 0;
    fc.assert(
      fc.property(fc.array(element, { minLength: 2, maxLength: 30 }), fc.boolean(), fc.constantFrom(undefined, 1, '\t'), cuts, fc.integer({ min: 1, max: 80 }), (values, wrapped, space, at, pieceBytes) => {
        const text = ` ${JSON.stringify(wrapped ? { records: values } : values, null, space)}\n`;
        const read = readPieces(chunked(text, at), pieceBytes);
        // Short texts may not be cut at all; what is cut reads exactly as the whole.
        if (read === undefined) return;
        expect(read).toEqual(JSON.parse(text));
        inPieces++;
      }),
      { seed: 4_242, numRuns: 2_000 },
    );
    expect(inPieces).toBeGreaterThan(1_500);
  });

  it('cuts a long batch into pieces of about PIECE_BYTES, each parsed on its own', () => {
    const records = Array.from({ length: 3_000 }, (_, i) => ({ ts: i, model: 'm, "x" [y] {z} \\ é 模型', inputTokens: i }));
    for (const body of [records, { records }]) {
      const text = JSON.stringify(body);
      const chunks = chunked(text, [0.13, 0.5, 0.77]);
      const scan = scanJson(chunks, undefined, PIECE_BYTES);
      const pieces = scan.pieces!;
      expect(pieces.wrapped).toBe(!Array.isArray(body));
      expect(pieces.bounds.length / 2).toBe(Math.ceil(Buffer.byteLength(text) / PIECE_BYTES));
      for (let i = 0; i + 1 < pieces.bounds.length; i += 2) expect(pieces.bounds[i + 1]! - pieces.bounds[i]!).toBeLessThan(PIECE_BYTES + 200);
      expect(parsePieces(chunks, pieces)).toEqual(body);
    }
  });

  it('never reads a value from a text JSON.parse refuses (broken, extra members, trailing bytes, empty elements)', () => {
    const broken = fc.tuple(fc.array(element, { minLength: 2, maxLength: 12 }), fc.boolean(), fc.nat(), fc.constantFrom('', ',', ']', '[', '}', '{', '"', ' ', 'x', '\\', ',,', '\ufeff', ',"x":1'), fc.boolean()).map(([values, wrapped, at, insert, cut]) => {
      const text = JSON.stringify(wrapped ? { records: values } : values);
      const i = at % (text.length + 1);
      return cut ? text.slice(0, i) + insert + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
    });
    fc.assert(
      fc.property(broken, cuts, fc.integer({ min: 1, max: 40 }), (text, at, pieceBytes) => {
        const read = readPieces(chunked(text, at), pieceBytes);
        if (read === undefined) return;
        expect(read).toEqual(JSON.parse(text));
      }),
      { seed: 77, numRuns: 3_000 },
    );
    for (const text of ['[ ,1,2]', '[1,2, ]', '[1,,2]', '[1,2]x', '[1,2]]', '{"records":[1,2],"x":1}', '{"records":[1,2]}}', '{"records":[1,2]', '{"x":1,"records":[1,2]}', '\ufeff[1,2]']) {
      expect(readPieces([Buffer.from(text)], 1), text).toBeUndefined();
    }
  });

  it('leaves every body naming "__proto__" or "constructor" (escaped, or cut between chunks) to the checked parser', () => {
    const names = ['"__proto__"', '"constructor"', '"\\u005f_proto__"', '"\\u005F\\u005Fproto\\u005f\\u005f"', '"constr\\u0075ctor"'];
    for (const name of names) {
      for (const text of [`[{"a":1},{${name}:{"b":1}},{"c":2}]`, `{"records":[1,{"x":${name}},3]}`]) {
        for (let cut = 1; cut < text.length; cut++) {
          const scan = scanJson(chunked(text, [cut / text.length]), undefined, 1);
          expect(scan.reservedName, `${text} cut at ${cut}`).toBe(true);
        }
      }
    }
    // Names that only look alike are read as usual.
    for (const text of ['["__proto_","constructors","_constructor","c\\"onstructor"]', '[{"requestId":"x","sessionId":"y","inputTokens":1,"constructo":2}]']) {
      expect(scanJson([Buffer.from(text)], undefined, 1).reservedName, text).toBe(false);
    }
  });
});

describe('a body read whole', () => {
  it('is parsed at once when it names no reserved property; one that does, or that JSON.parse refuses, goes to the checked parser', async () => {
    const app = Fastify();
    const checked = app.getDefaultJsonParser('error', 'error');
    const handedOver: string[] = [];
    app.addContentTypeParser(
      'application/json',
      jsonBodyReader({
        parseWhole: (request, text, done) => {
          handedOver.push(text);
          checked(request, text, done);
        },
        limitsFor: () => undefined,
      }),
    );
    app.post('/echo', async (request) => ({ body: request.body ?? null }));
    const post = (payload: string) => app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json' } });
    try {
      const plain = await post('{"model":"m","names":["__proto_","constructors"],"n":1}');
      expect(plain.statusCode).toBe(200);
      expect(plain.json()).toEqual({ body: { model: 'm', names: ['__proto_', 'constructors'], n: 1 } });
      expect(handedOver).toEqual([]);
      // Prototype poisoning is the checked parser's to refuse, escaped or not.
      for (const payload of ['{"model":"m","__proto__":{"admin":true}}', '{"model":"m","\\u005f_proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
        expect((await post(payload)).statusCode, payload).toBe(400);
      }
      expect(handedOver).toHaveLength(3);
      // So are texts JSON.parse refuses, for the checked parser's own error.
      for (const payload of ['{"model":', '\ufeff{"model":"m"}']) await post(payload);
      expect(handedOver).toHaveLength(5);
    } finally {
      await app.close();
    }
  });
});

describe('POST /api/v1/requests with a batch longer than one piece', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));
  const T0 = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;
  const batch = (count: number) => Array.from({ length: count }, (_, i) => ({ ts: T0 + i, model: 'qwen3-coder 模型', inputTokens: i + 1, outputTokens: 1, project: `/src/p-${i % 3}`, requestId: `r-${i}` }));

  it('stores every record, whichever of the two shapes carries them', async () => {
    const records = batch(2_000);
    expect(Buffer.byteLength(JSON.stringify(records))).toBeGreaterThan(2 * PIECE_BYTES);
    const first = await server.call<IngestResult>('POST', '/api/v1/requests', { json: records.slice(0, 1_000) });
    const second = await server.call<IngestResult>('POST', '/api/v1/requests', { json: { records: records.slice(1_000) } });
    expect([first.body, second.body]).toEqual([
      { accepted: 1_000, duplicates: 0 },
      { accepted: 1_000, duplicates: 0 },
    ]);
    const page = await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, limit: 5_000 })}`);
    expect(page.requests.map((row) => row.inputTokens).sort((a, b) => a - b)).toEqual(records.map((record) => record.inputTokens));
    expect(new Set(page.requests.map((row) => row.model))).toEqual(new Set(['qwen3-coder 模型']));
  });

  it('answers a broken one, or one with a __proto__ key, with 400 as a short one is answered, and stores nothing', async () => {
    const text = JSON.stringify(batch(1_000));
    for (const raw of [text.slice(0, -1), `${text.slice(0, -1)},]`, text.replace('"model"', '"__proto__":{"admin":true},"model"'), text.replace('},{', '},,{')]) {
      const answer = await server.call('POST', '/api/v1/requests', { raw, contentType: 'application/json' });
      expect(answer.status, raw.slice(-40)).toBe(400);
    }
    const page = await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, limit: 10 })}`);
    expect(page.requests).toEqual([]);
  });

  it('refuses a body over the limit with 413, and one whose shape is over the limits before parsing it', async () => {
    const huge = JSON.stringify(Array.from({ length: 25_000 }, (_, i) => ({ ts: T0, model: 'm'.repeat(80), inputTokens: i })));
    expectError(await server.call('POST', '/api/v1/requests', { raw: huge, contentType: 'application/json' }), 413, 'payload_too_large');
    const wide = JSON.stringify(new Array(150_000).fill(0));
    const answer = await server.call('POST', '/api/v1/requests', { raw: wide, contentType: 'application/json' });
    expectError(answer, 413, 'payload_too_large');
    expect(JSON.stringify(answer.body)).toMatch(/more than 100000 values/);
  });
});

describe('POST /api/v1/requests with a compressed body (Content-Encoding)', () => {
  let server: TestServer;
  useServerPerTest((started) => (server = started));
  const T0 = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;
  const records = Array.from({ length: 1_500 }, (_, i) => ({ ts: T0 + i, model: 'gpt-5-mini', inputTokens: i + 1, outputTokens: 1, requestId: `z-${i}` }));
  const text = JSON.stringify(records);
  const post = (body: Uint8Array, encoding: string) => server.call<IngestResult>('POST', '/api/v1/requests', { raw: body, contentType: 'application/json', headers: { 'content-encoding': encoding } });
  const stored = async () => (await server.get<RequestPage>(`/api/v1/requests${qs({ from: 0, limit: 5_000 })}`)).requests.length;

  it('stores a batch sent as gzip, deflate or br as it stores the plain one', async () => {
    const thirds = [records.slice(0, 500), records.slice(500, 1_000), records.slice(1_000)].map((part) => Buffer.from(JSON.stringify(part)));
    const answers = [await post(zlib.gzipSync(thirds[0]!), 'gzip'), await post(zlib.deflateSync(thirds[1]!), 'Deflate'), await post(zlib.brotliCompressSync(thirds[2]!), 'br')];
    expect(answers.map((answer) => answer.body)).toEqual([0, 1, 2].map(() => ({ accepted: 500, duplicates: 0 })));
    expect(await stored()).toBe(1_500);
  });

  it('answers an encoding it cannot read with 415, a corrupt or cut body with 400 naming the encoding, and stores nothing', async () => {
    const zipped = zlib.gzipSync(Buffer.from(text));
    const unknown = await post(zipped, 'zstd');
    expectError(unknown, 415, 'unsupported_media_type');
    expect(JSON.stringify(unknown.body)).toMatch(/zstd/);
    const cut = await post(zipped.subarray(0, zipped.length >> 1), 'gzip');
    expectError(cut, 400, 'bad_request');
    expect(JSON.stringify(cut.body)).toMatch(/not valid gzip/);
    expectError(await post(Buffer.from(text), 'gzip'), 400, 'bad_request');
    expect(await stored()).toBe(0);
  });

  it('counts the limit on what the body decodes to: a small body that inflates past it is refused with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(40 * 1_048_576, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expectError(await post(bomb, 'gzip'), 413, 'payload_too_large');
    expect((await server.call('GET', '/healthz')).status).toBe(200);
  });
});

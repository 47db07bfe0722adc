import { describe, expect, it } from 'vitest';
import { jsonBytes } from '../../../../electron/ledger/reads/json-answers.js';

describe('jsonBytes', () => {
  const cases: [string, unknown][] = [
    ['a history', { from: 1, to: 2, interval: 86_400, buckets: [{ ts: 1, model: 'gpt-5', requests: 3, cost: { USD: 0.25 } }, { ts: 2, model: '通义千问', cost: {} }] }],
    ['a page of requests with names outside ASCII', { items: [{ project: '/home/李/项目 "a"\n', tokens: 1e21 }], next: null }],
    ['empty arrays and nested arrays', { buckets: [], nested: [[1, [2]], { a: [] }] }],
    ['undefined values (left out) and array holes (null)', { a: undefined, b: 1, c: [undefined, () => 1, 2], d: () => 0 }],
    ['a first field that is left out', { a: undefined, b: [1] }],
    ['a top-level array', [{ a: 1 }, 'é', null, undefined]],
    ['an empty object', {}],
    ['a number', 42],
    ['a string', 'ü "x"'],
    ['an object with toJSON', { toJSON: () => ({ shown: true }) }],
  ];
  for (const [what, value] of cases) {
    it(`is JSON.stringify's UTF-8 bytes exactly for ${what}`, () => {
      const bytes = jsonBytes(value);
      expect(bytes.equals(Buffer.from(JSON.stringify(value) ?? '', 'utf8'))).toBe(true);
    });
  }

  it('returns a buffer that owns its memory exactly (transferable, nothing of a pool)', () => {
    const bytes = jsonBytes({ buckets: [{ a: 'x'.repeat(10) }] });
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });
});

import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../../../electron/sources/proxy/bounded-memo.js';

describe('boundedMemo', () => {
  it('computes a key once, remembers falsy answers too, and forgets everything once full', () => {
    const calls: string[] = [];
    const memo = boundedMemo(2, (key: string) => {
      calls.push(key);
      return key === 'no' ? false : key.length;
    });
    expect([memo('ab'), memo('ab'), memo('no'), memo('no')]).toEqual([2, 2, false, false]);
    expect(calls).toEqual(['ab', 'no']);
    // A third key finds it full: the memory is emptied, so 'ab' is computed again.
    expect(memo('xyz')).toBe(3);
    expect(memo('ab')).toBe(2);
    expect(calls).toEqual(['ab', 'no', 'xyz', 'ab']);
  });
});

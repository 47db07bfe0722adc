import { describe, expect, it } from 'vitest';
import { LiveExchanges } from '../../../../electron/sources/proxy/live-exchanges.js';

describe('the exchanges in progress', () => {
  it('forgets each exchange as it ends, in any order, and only that one', () => {
    const live = new LiveExchanges();
    const cut: string[] = [];
    const cuts = ['a', 'b', 'c', 'd'].map((name) => () => cut.push(name));
    for (const each of cuts) live.add(each);
    live.delete(cuts[1]!);
    live.delete(cuts[3]!);
    live.delete(() => {});
    live.delete(cuts[1]!);
    expect(live.size).toBe(2);
    live.cutAll();
    expect(cut.sort()).toEqual(['a', 'c']);
  });

  it('cuts every open exchange once when the server closes, while each removes itself', () => {
    const live = new LiveExchanges();
    const calls: number[] = [];
    const cuts = [0, 1, 2].map((n) => {
      const cut = () => {
        calls.push(n);
        live.delete(cut);
      };
      return cut;
    });
    for (const each of cuts) live.add(each);
    live.cutAll();
    expect(calls.sort()).toEqual([0, 1, 2]);
    expect(live.size).toBe(0);
  });
});

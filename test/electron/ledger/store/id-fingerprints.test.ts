import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FingerprintSet, FingerprintTable, HINT_MODULO, TextHash } from '../../../../electron/ledger/store/id-fingerprints.js';

/** The approximate map behind StoredIds: never a text added without its hint, rarely a false match. */
describe('TextHash', () => {
  it('gives a text the same two hashes every time, and different texts different ones', () => {
    const hash = new TextHash();
    const of = (text: string) => {
      hash.of(text);
      return `${hash.first}:${hash.second}`;
    };
    expect(of('chatcmpl-abc')).toBe(of('chatcmpl-abc'));
    const texts = ['', 'a', 'b', 'ab', 'ba', '模型', '模形', 'msg_01', 'msg_02', 'x'.repeat(128), `${'x'.repeat(127)}y`];
    expect(new Set(texts.map(of)).size).toBe(texts.length);
    expect(hash.of('abc').first).toBeGreaterThanOrEqual(0);
    expect(hash.of('abc').second).toBeLessThan(2 ** 32);
  });
});

/** The hints of every entry matching `text`. */
function hints(table: FingerprintTable, text: string): number[] {
  const hash = new TextHash().of(text);
  const out: number[] = [];
  for (let at = table.nextMatch(hash, table.start(hash)); at !== -1; at = table.nextMatch(hash, at + 1)) out.push(table.hintAt(at));
  return out;
}

describe('FingerprintTable', () => {
  it('matches every text added with the low 32 bits of where it was filed (a millisecond since 1970, say), and few others (about 1 in 10,000)', () => {
    const table = new FingerprintTable(50_000);
    const hash = new TextHash();
    const added = Array.from({ length: 50_000 }, () => randomUUID());
    const filed = (i: number) => 1_796_000_000_000 + i * 65_537;
    added.forEach((id, i) => expect(table.add(hash.of(id), filed(i))).toBe(true));
    expect(table.size).toBe(50_000);
    expect(added.every((id, i) => hints(table, id).includes(filed(i) % 2 ** 32))).toBe(true);
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) if (hints(table, randomUUID()).length > 0) wrong++;
    expect(wrong).toBeLessThan(100);
  });

  it('keeps one entry per text and hint (its low 32 bits), one per hint for a text filed twice', () => {
    const table = new FingerprintTable(0);
    const hash = new TextHash();
    table.add(hash.of('same'), 7);
    table.add(hash.of('same'), 7);
    table.add(hash.of('same'), HINT_MODULO + 7);
    expect(table.size).toBe(1);
    // Alike in their low 16 bits: told apart by the high ones.
    table.add(hash.of('same'), 65_536 + 7);
    table.add(hash.of('same'), HINT_MODULO - 1);
    expect(table.size).toBe(3);
    expect(hints(table, 'same').sort((a, b) => a - b)).toEqual([7, 65_536 + 7, HINT_MODULO - 1]);
  });

  it('refuses a hint that is not a whole number', () => {
    const table = new FingerprintTable(0);
    const hash = new TextHash().of('id');
    for (const bad of [-1, 0.5, 2 ** 53, Number.NaN]) expect(() => table.add(hash, bad)).toThrow(RangeError);
    expect(table.size).toBe(0);
  });

  it('says it is full (adding nothing) past three quarters of its slots, and lookups still end', () => {
    const table = new FingerprintTable(0);
    const hash = new TextHash();
    expect(table.bytes).toBe(1024 * 6);
    let added = 0;
    while (table.add(hash.of(`id-${added}`), added)) added++;
    expect(table.size).toBe(768);
    expect(hints(table, `id-${added}`)).not.toContain(added);
    for (let i = 0; i < added; i++) expect(hints(table, `id-${i}`)).toContain(i);
  });
});

describe('FingerprintSet', () => {
  /** The hints of every entry matching `text` in any of the set's tables. */
  const setHints = (set: FingerprintSet, text: string) => set.tables.flatMap((table) => hints(table, text));

  it('holds every text added with its hint: one table while it keeps their hashes, larger ones beside it after', () => {
    const hash = new TextHash();
    const added = Array.from({ length: 20_000 }, () => randomUUID());
    const filed = (i: number) => 1_796_000_000_000 + i * 1_024;
    const folding = new FingerprintSet(0);
    const limited = new FingerprintSet(0, 1_000);
    added.forEach((id, i) => {
      folding.add(hash.of(id), filed(i));
      limited.add(hash, filed(i));
    });
    expect(folding.tables.length).toBe(1);
    expect(folding.tables[0]!.size).toBe(20_000);
    // Folded to 2,048 slots at 769 texts, hashes let go at 1,000: then 4,096, 8,192, 16,384 beside it.
    expect(limited.tables.length).toBe(4);
    for (const set of [folding, limited]) expect(added.every((id, i) => setHints(set, id).includes(filed(i) % HINT_MODULO))).toBe(true);
  });

  it('keeps no hashes when built for more texts than its limit', () => {
    const set = new FingerprintSet(5_000, 1_000);
    const hash = new TextHash();
    for (let i = 0; i < 7_680; i++) set.add(hash.of(`id-${i}`), i);
    // 16,384 slots for 5,000 texts hold 12,288: still one table, none rebuilt.
    expect(set.tables.length).toBe(1);
    for (let i = 7_680; i < 12_289; i++) set.add(hash.of(`id-${i}`), i);
    expect(set.tables.length).toBe(2);
  });
});

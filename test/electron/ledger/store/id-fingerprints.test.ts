import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FingerprintTable, TextHash } from '../../../../electron/ledger/store/id-fingerprints.js';

/** The approximate set behind StoredRequestIds: never a wrong "not held", rarely a wrong "may hold". */
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

describe('FingerprintTable', () => {
  it('holds every text added, and says "may hold" for few of the others (about 1 in 10,000)', () => {
    const table = new FingerprintTable(50_000);
    const hash = new TextHash();
    const added = Array.from({ length: 50_000 }, () => randomUUID());
    for (const id of added) expect(table.add(hash.of(id))).toBe(true);
    expect(table.size).toBe(50_000);
    expect(added.every((id) => table.mayHold(hash.of(id)))).toBe(true);
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) if (table.mayHold(hash.of(randomUUID()))) wrong++;
    expect(wrong).toBeLessThan(100);
  });

  it('adds a text once, and says it is full (adding nothing) past three quarters of its slots', () => {
    const table = new FingerprintTable(0);
    const hash = new TextHash();
    expect(table.bytes).toBe(1024 * 2);
    table.add(hash.of('same'));
    table.add(hash.of('same'));
    expect(table.size).toBe(1);
    let added = 1;
    while (table.add(hash.of(`id-${added}`))) added++;
    expect(table.size).toBe(768);
    for (let i = 1; i < added; i++) expect(table.mayHold(hash.of(`id-${i}`))).toBe(true);
  });
});

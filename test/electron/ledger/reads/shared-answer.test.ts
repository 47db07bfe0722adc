import { describe, expect, it, vi } from 'vitest';
import type { JsonAnswer } from '../../../../electron/ledger/reads/protocol.js';
import { shareAnswer } from '../../../../electron/ledger/reads/shared-answer.js';

describe('shareAnswer', () => {
  it('gives one asker the answer itself', () => {
    const answer: JsonAnswer = { json: '{}', release: () => {} };
    expect(shareAnswer(answer, 1)[0]).toBe(answer);
  });

  it('gives each asker the same text and facts, and lets the memory go once all have released it', () => {
    const release = vi.fn();
    const facts = { from: 1, to: 2, cost: { USD: 1 }, models: [] };
    const json = Buffer.from('{"a":1}');
    const shared = shareAnswer({ json, facts, release }, 3);
    expect(shared).toHaveLength(3);
    for (const answer of shared) {
      expect(answer.json).toBe(json);
      expect(answer.facts).toBe(facts);
    }
    shared[0]!.release!();
    // The same asker releasing twice (a response's 'finish' and a cleanup) counts once.
    shared[0]!.release!();
    shared[2]!.release!();
    expect(release).not.toHaveBeenCalled();
    shared[1]!.release!();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('lends nothing to release when the answer had nothing to release', () => {
    for (const answer of shareAnswer({ json: 'x' }, 2)) expect(answer).toEqual({ json: 'x' });
  });
});

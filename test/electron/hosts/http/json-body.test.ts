import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_LIMITS, jsonShapeProblem } from '../../../../electron/hosts/http/json-body.js';

describe('jsonShapeProblem', () => {
  it('passes every API body shape, a full ingest batch included', () => {
    const record = { ts: 1, model: 'a,b{[', inputTokens: 1, requestId: 'x"]}\\\\' };
    expect(jsonShapeProblem(JSON.stringify({ records: Array.from({ length: 5_000 }, () => record) }))).toBeNull();
    expect(jsonShapeProblem(JSON.stringify({ method: 'tokens', tiers: [{ maxPromptTokens: null, input: 1 }] }))).toBeNull();
  });

  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    expect(jsonShapeProblem(JSON.stringify(['['.repeat(100), '\\"['.repeat(100), ','.repeat(JSON_LIMITS.values + 1)]))).toBeNull();
  });

  it.each([
    ['nested deeper than the limit', '['.repeat(JSON_LIMITS.depth + 1) + ']'.repeat(JSON_LIMITS.depth + 1), /nested deeper/],
    ['too many objects', JSON.stringify(Array.from({ length: JSON_LIMITS.containers + 1 }, () => ({}))), /objects and arrays/],
    ['too many values', JSON.stringify(new Array(JSON_LIMITS.values + 1).fill(0)), /values/],
    ['too many members in one object', JSON.stringify(Object.fromEntries(Array.from({ length: JSON_LIMITS.members + 1 }, (_, i) => [`k${i}`, 1]))), /members/],
  ])('refuses %s', (_what, text, message) => {
    expect(jsonShapeProblem(text)).toMatch(message);
  });

  it('refuses a document exactly when it is nested deeper than the limit (small documents, strings with brackets)', () => {
    const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.integer({ min: 0, max: 40 }), (inner, wraps) => {
        let value: unknown = inner;
        for (let i = 0; i < wraps; i++) value = i % 2 === 0 ? [value] : { k: value };
        const problem = jsonShapeProblem(JSON.stringify(value));
        if (depth(value) > JSON_LIMITS.depth) expect(problem).toMatch(/nested deeper/);
        else expect(problem).toBeNull();
      }),
      { seed: 115, numRuns: 300 },
    );
  });
});

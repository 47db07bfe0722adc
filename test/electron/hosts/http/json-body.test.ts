import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_LIMITS, scanJson, type JsonLimits } from '../../../../electron/hosts/http/json-body.js';

/** Why the text's shape is refused, or null (the scan of its bytes in one chunk). */
const jsonShapeProblem = (text: string, limits?: JsonLimits): string | null => scanJson([Buffer.from(text)], limits).problem;

describe('scanJson: the shape of a body', () => {
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

  it('counts exactly what a character-by-character scan counts, whatever the quotes and backslashes (also in broken JSON)', () => {
    // The plain scan the fast one (indexOf over string contents) must agree with.
    const plain = (text: string, limits = { depth: 3, containers: 6, values: 8, members: 3 }): string | null => {
      let depth = 0;
      let containers = 0;
      let values = 0;
      const members: number[] = [];
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
          continue;
        }
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') {
          if (++depth > limits.depth) return 'depth';
          if (++containers > limits.containers) return 'containers';
          values++;
          members.push(c === '{' ? 1 : -1);
        } else if (c === '}' || c === ']') {
          depth--;
          members.pop();
        } else if (c === ',') {
          if (++values > limits.values) return 'values';
          const top = members.length - 1;
          if (top >= 0 && members[top]! >= 0 && ++members[top]! > limits.members) return 'members';
        }
      }
      return null;
    };
    const limits = { depth: 3, containers: 6, values: 8, members: 3 };
    const kind = (problem: string | null) => (problem === null ? null : /nested/.test(problem) ? 'depth' : /objects and arrays/.test(problem) ? 'containers' : /values/.test(problem) ? 'values' : 'members');
    fc.assert(
      fc.property(fc.array(fc.constantFrom('"', '\\', '\\\\', '\\\\"', '{', '}', '[', ']', ',', 'a', ':'), { maxLength: 60 }), (chars) => {
        const text = chars.join('');
        expect(kind(jsonShapeProblem(text, limits))).toBe(plain(text, limits));
      }),
      { seed: 1_812, numRuns: 5_000 },
    );
  });
});

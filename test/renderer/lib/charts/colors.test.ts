import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distinctColors } from '../../../../renderer/src/lib/charts/colors.js';

/** Hue in degrees of a #rrggbb colour. */
function hueOf(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

const hueGap = (a: number, b: number) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

describe('model colours', () => {
  it('never puts two models of one chart near in hue, for up to nine models', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 2, maxLength: 9 }), (names) => {
        const colorOf = distinctColors(names);
        const hues = names.map((name) => hueOf(colorOf(name)));
        for (let i = 0; i < hues.length; i++) for (let j = i + 1; j < hues.length; j++) expect(hueGap(hues[i]!, hues[j]!)).toBeGreaterThanOrEqual(25);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the demo’s models hues apart (no two browns, no teal next to cyan)', () => {
    const names = ['gpt-5-mini', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'qwen3-max', 'GLM-4.5-Air-Q4_K_M', 'gpt-oss-20b', 'Qwen3-Coder-30B-A3B-Instruct'];
    const colorOf = distinctColors(names);
    const hues = names.map((name) => hueOf(colorOf(name)));
    const gaps = hues.flatMap((a, i) => hues.slice(i + 1).map((b) => hueGap(a, b)));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25);
  });
});

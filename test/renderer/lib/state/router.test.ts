import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute } from '../../../../renderer/src/lib/state/router.svelte.js';

describe('hash routes', () => {
  it('opens the overview for an empty or unknown route', () => {
    expect(parseRoute('')).toEqual({ view: 'overview', rest: [] });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'overview', rest: [] });
  });

  it('round-trips model names holding slashes and non-ASCII characters', () => {
    const name = 'Qwen/Qwen3-Coder 30B·量化';
    const href = hrefOf('models', name);
    expect(parseRoute(href)).toEqual({ view: 'models', rest: [name] });
  });

  it('tolerates a damaged percent-escape', () => {
    expect(parseRoute('#/pricing/%E0%A4%A')).toEqual({ view: 'pricing', rest: ['%E0%A4%A'] });
  });
});

describe('a route that arrives with the token link', () => {
  it('opens the view named before the token', () => {
    expect(parseRoute('#/quick&token=abc')).toEqual({ view: 'quick', rest: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { emptyTier, formFrom, toVersionInput, type PriceForm } from '../../../../renderer/src/views/pricing/form.js';
import { tokenVersion } from './support.js';

const base: PriceForm = { method: 'tokens', currency: 'usd', effectiveFrom: '', tiers: [emptyTier()], hourly: '' };

describe('price form to API input', () => {
  it('leaves out empty cache prices (billed at the input price) and sends an empty last limit as unbounded', () => {
    const result = toVersionInput({
      ...base,
      tiers: [
        { maxPromptTokens: '32000', input: '0.5', output: '2', cacheRead: '0.05', cacheWrite: '', cacheWrite1h: '' },
        { maxPromptTokens: '', input: '1', output: '4', cacheRead: '', cacheWrite: '', cacheWrite1h: '' },
      ],
    });
    expect(result).toEqual({
      ok: true,
      input: {
        method: 'tokens',
        currency: 'USD',
        tiers: [
          { maxPromptTokens: 32000, input: 0.5, output: 2, cacheRead: 0.05 },
          { maxPromptTokens: null, input: 1, output: 4 },
        ],
      },
    });
  });

  it('sends a 1-hour cache-write price when one is typed', () => {
    const result = toVersionInput({ ...base, tiers: [{ maxPromptTokens: '', input: '3', output: '15', cacheRead: '', cacheWrite: '3.75', cacheWrite1h: '6' }] });
    expect(result).toEqual({ ok: true, input: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 3, output: 15, cacheWrite: 3.75, cacheWrite1h: 6 }] } });
    const bad = toVersionInput({ ...base, tiers: [{ ...emptyTier(), input: '1', output: '1', cacheWrite1h: 'six' }] });
    expect(bad.ok).toBe(false);
    expect(Object.keys((bad as { errors: object }).errors)).toEqual(['tiers.0.cacheWrite1h']);
  });

    it('reads the date as local time', () => {
    const result = toVersionInput({ ...base, method: 'none', effectiveFrom: '2026-03-01T08:30' });
    expect(result).toEqual({ ok: true, input: { method: 'none', currency: 'USD', effectiveFrom: new Date(2026, 2, 1, 8, 30).getTime() } });
  });

  it('names each bad field by the path the server uses', () => {
    const result = toVersionInput({
      ...base,
      tiers: [
        { maxPromptTokens: '', input: 'abc', output: '20000', cacheRead: '', cacheWrite: '', cacheWrite1h: '' },
        { maxPromptTokens: '1.5', input: '1', output: '1', cacheRead: '', cacheWrite: '', cacheWrite1h: '' },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.fromEntries(Object.entries(result.errors).map(([path, message]) => [path, message.key]))).toEqual({
      'tiers.0.input': 'pricing.field.number',
      'tiers.0.output': 'pricing.field.max',
      'tiers.0.maxPromptTokens': 'pricing.field.unboundedLast',
      'tiers.1.maxPromptTokens': 'pricing.field.integer',
    });
  });

  it('starts a new version from the one in force', () => {
    const form = formFrom(tokenVersion('m', 0, null, 0.25, 2));
    expect(form.tiers).toEqual([{ maxPromptTokens: '', input: '0.25', output: '2', cacheRead: '', cacheWrite: '', cacheWrite1h: '' }]);
    expect(form.effectiveFrom).toBe('');
  });
});

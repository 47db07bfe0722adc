import { describe, expect, it } from 'vitest';
import { formOf, rowPathOf, toPatch } from '../../../../renderer/src/views/settings/form.js';
import { SETTINGS } from '../pricing/support.js';

describe('settings form to patch', () => {
  it('is empty when nothing changed', () => {
    expect(toPatch(formOf(SETTINGS), SETTINGS)).toEqual({ ok: true, patch: {} });
  });

  it('sends the display currency and the whole set of rates when they change', () => {
    const form = formOf(SETTINGS);
    form.displayCurrency = 'cny';
    form.rates = [
      { currency: 'usd', rate: '7.1' },
      { currency: '', rate: '' },
    ];
    expect(toPatch(form, SETTINGS)).toEqual({ ok: true, patch: { displayCurrency: 'CNY', currencyRates: { USD: 7.1 } } });
  });

  it('refuses a second rate for one currency, a zero rate and a cap below the first wait', () => {
    const form = formOf(SETTINGS);
    form.rates = [
      { currency: 'USD', rate: '7' },
      { currency: 'USD', rate: '0' },
    ];
    form.breaker.maxBackoffSeconds = '10';
    const result = toPatch(form, SETTINGS);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors['rates.1.currency']?.key).toBe('settings.error.duplicateRate');
    expect(result.errors['rates.1.rate']?.key).toBe('settings.error.positive');
    expect(result.errors['breaker.maxBackoffSeconds']?.key).toBe('settings.error.maxBackoff');
  });

  it('puts a server error about a rate on that rate’s row', () => {
    const form = formOf({ ...SETTINGS, currencyRates: { EUR: 7.8, USD: 7.1 } });
    expect(rowPathOf('currencyRates.USD', form)).toBe('rates.1.rate');
    expect(rowPathOf('breaker.windowSize', form)).toBe('breaker.windowSize');
  });
});

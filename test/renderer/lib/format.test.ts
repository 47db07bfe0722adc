import { describe, expect, it } from 'vitest';
import { clock, compact, dateFormat, duration, money, moneyList, numberFormat, percent } from '../../../renderer/src/lib/format.js';

describe('number formatting', () => {
  it('writes counts exactly below 100K, and big counts as 123K / 3.4M in both languages', () => {
    expect(compact(999)).toBe('999');
    expect(compact(1_234)).toBe('1,234');
    expect(compact(4_412)).not.toBe(compact(4_498));
    expect(compact(99_999)).toBe('99,999');
    expect(compact(123_456)).toBe('123K');
    expect(compact(3_400_000)).toBe('3.4M');
    expect(compact(125_000_000)).toBe('125M');
    expect(compact(2_500_000_000)).toBe('2.5B');
  });

  it('shows money with its currency symbol and keeps small amounts visible', () => {
    expect(money(12.5, 'USD', 'en')).toBe('$12.50');
    expect(money(0.0042, 'USD', 'en')).toBe('$0.0042');
    expect(money(3, 'CNY', 'zh-CN')).toBe('¥3.00');
  });

  it('lists each currency of a total, biggest first', () => {
    expect(moneyList({ USD: 1, CNY: 7 }, 'zh-CN')).toEqual(['¥7.00', 'US$1.00']);
    expect(moneyList(null, 'en')).toEqual([]);
  });

  it('writes durations in the reader language', () => {
    expect(duration(3 * 3600 + 12 * 60 + 5, 'en')).toBe('3h 12m');
    expect(duration(5 * 60 + 3, 'en')).toBe('5m 3s');
    expect(duration(2 * 86_400 + 5 * 3600 + 40 * 60, 'en')).toBe('2d 6h');
    expect(duration(3 * 3600 + 12 * 60 + 5, 'zh-CN')).toBe('3小时12分');
    expect(duration(42, 'en')).toBe('42s');
    expect(clock(3723)).toBe('1:02:03');
  });

  it('rounds durations to the nearest unit shown, so rows add up to their total', () => {
    // Three runs of 3h 1m 50s: the card says 9h 6m (9h 5m 30s), and so do the rows (3 × 3h 2m = 9h 6m).
    const run = 3 * 3600 + 60 + 50;
    expect(duration(run, 'en')).toBe('3h 2m');
    expect(duration(3 * run, 'en')).toBe('9h 6m');
    expect(duration(3599.6, 'en')).toBe('1h');
  });

  it('writes one decimal of percent and never rounds a near-perfect share to 100 %', () => {
    expect(percent(4412 / 4498, 'en')).toBe('98.1%');
    expect(percent(0.99963, 'en')).toBe('99.9%');
    expect(percent(1, 'en')).toBe('100%');
    expect(percent(0.0002, 'en')).toBe('0.1%');
  });

  it('shows no percentage when there is nothing to divide', () => {
    expect(percent(null, 'en')).toBe('–');
    expect(percent(0.5, 'en')).toBe('50%');
  });
});

describe('Intl formatters', () => {
  it('are made once per language and options, and stay apart otherwise', () => {
    expect(numberFormat('en', { style: 'percent' })).toBe(numberFormat('en', { style: 'percent' }));
    expect(numberFormat('zh-CN', { style: 'percent' })).not.toBe(numberFormat('en', { style: 'percent' }));
    expect(numberFormat('en', { style: 'percent', maximumFractionDigits: 1 })).not.toBe(numberFormat('en', { style: 'percent' }));
    expect(dateFormat('en', { hour: '2-digit' })).toBe(dateFormat('en', { hour: '2-digit' }));
    expect(dateFormat('en', { hour: '2-digit' }).format(Date.UTC(2026, 0, 1, 15))).toMatch(/\d/);
  });

  it('leave an unknown currency to the plain fallback, and remember nothing for it', () => {
    expect(money(1.5, 'NOT-A-CODE', 'en')).toBe('1.50 NOT-A-CODE');
    expect(money(1.5, 'NOT-A-CODE', 'en')).toBe('1.50 NOT-A-CODE');
  });
});

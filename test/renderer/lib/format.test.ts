import { describe, expect, it } from 'vitest';
import { clock, compact, duration, money, moneyList, percent } from '../../../renderer/src/lib/format.js';

describe('number formatting', () => {
  it('writes big counts as 1.2K / 3.4M in both languages', () => {
    expect(compact(999)).toBe('999');
    expect(compact(1_234)).toBe('1.2K');
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
    expect(duration(3 * 3600 + 12 * 60 + 5, 'zh-CN')).toBe('3小时12分');
    expect(duration(42, 'en')).toBe('42s');
    expect(clock(3723)).toBe('1:02:03');
  });

  it('shows no percentage when there is nothing to divide', () => {
    expect(percent(null, 'en')).toBe('–');
    expect(percent(0.5, 'en')).toBe('50%');
  });
});

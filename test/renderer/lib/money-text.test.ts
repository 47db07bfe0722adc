import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import MoneyText from '../../../renderer/src/lib/components/MoneyText.svelte';
import { i18n } from '../../../renderer/src/lib/i18n/i18n.svelte.js';

describe('MoneyText', () => {
  it('never shows an unpriced cost as zero', () => {
    i18n.choice = 'en';
    render(MoneyText, { value: null });
    expect(screen.getByText('Unpriced')).toBeTruthy();
  });

  it('joins currencies', () => {
    i18n.choice = 'en';
    const { container } = render(MoneyText, { value: { USD: 2, CNY: 10 } });
    expect(container.textContent?.replace(/\s+/g, ' ').trim()).toBe('CN¥10.00 + $2.00');
    expect([...container.querySelectorAll('.amount')].map((amount) => amount.textContent)).toEqual(['CN¥10.00', '$2.00']);
  });
});

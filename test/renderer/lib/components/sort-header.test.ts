import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import SortHeader from '../../../../renderer/src/lib/components/SortHeader.svelte';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';

describe('a sortable column header', () => {
  it('says which way the table is sorted by it, to screen readers and with an arrow', async () => {
    i18n.choice = 'en';
    const { rerender } = render(SortHeader, { label: 'Cost', active: true, descending: true, numeric: true, testid: 'sort-cost', onsort: () => {} });
    const button = screen.getByRole('button', { name: 'Sort by Cost' });
    const header = button.closest('th')!;
    expect([header.getAttribute('aria-sort'), button.textContent, header.classList.contains('num')]).toEqual(['descending', 'Cost▼', true]);
    await rerender({ label: 'Cost', active: true, descending: false, numeric: true, testid: 'sort-cost', onsort: () => {} });
    expect([header.getAttribute('aria-sort'), button.textContent]).toEqual(['ascending', 'Cost▲']);
  });

  it('shows no arrow while another column sorts, and asks its table to sort when pressed', async () => {
    i18n.choice = 'en';
    const onsort = vi.fn();
    render(SortHeader, { label: 'Model', active: false, descending: true, scope: 'col', testid: 'sort-model', onsort });
    const button = screen.getByTestId('sort-model');
    expect([button.closest('th')!.getAttribute('aria-sort'), button.closest('th')!.getAttribute('scope'), button.textContent]).toEqual(['none', 'col', 'Model']);
    await fireEvent.click(button);
    expect(onsort).toHaveBeenCalledOnce();
  });
});

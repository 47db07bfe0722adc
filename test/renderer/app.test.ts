import { fireEvent, render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../../renderer/src/App.svelte';
import { i18n } from '../../renderer/src/lib/i18n/i18n.svelte.js';
import { makeFakeClient } from './support/fake-client.js';
import { appInfo } from './views/overview/fixtures.js';

describe('the dashboard shell', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    location.hash = '#/data';
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });

  it('starts with a skip link that moves focus to the view, without changing the route', async () => {
    render(App, { client: makeFakeClient({ getAppInfo: async () => appInfo({ language: null }) }) });
    const skip = screen.getByRole('link', { name: 'Skip to content' });
    expect(document.body.querySelector('a, button, select, input')).toBe(skip);
    await fireEvent.click(skip);
    expect(document.activeElement).toBe(screen.getByRole('main'));
    expect(location.hash).toBe('#/data');
  });

  it('names the sidebar’s select as the language, in words a sighted person sees too', () => {
    render(App, { client: makeFakeClient({ getAppInfo: async () => appInfo({ language: null }) }) });
    const select = screen.getByRole('combobox', { name: 'Language' });
    expect(select.closest('label')?.textContent).toContain('Language');
    expect(select.closest('label')?.querySelector('.sr-only')).toBeNull();
  });
});

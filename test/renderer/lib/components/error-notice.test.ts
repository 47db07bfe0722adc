import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import ErrorNotice from '../../../../renderer/src/lib/components/ErrorNotice.svelte';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import TokenGate from '../../../../renderer/src/views/TokenGate.svelte';

describe('a refused token', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    sessionStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('offers the token form instead of only trying again with the same token', async () => {
    sessionStorage.setItem('modelmeter.token', 'wrong-token');
    const reload = vi.fn();
    vi.stubGlobal('location', { ...location, reload });
    render(ErrorNotice, { error: new ApiError('unauthorized', 'bad token'), retry: () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Enter another token' }));
    expect(sessionStorage.getItem('modelmeter.token')).toBeNull();
    expect(reload).toHaveBeenCalledOnce();
  });

  it('is named on the token form, once, with the field focused', () => {
    sessionStorage.setItem('modelmeter.tokenRefused', '1');
    render(TokenGate, { onconnect: () => {} });
    expect(screen.getByRole('alert').textContent).toContain('That token was refused');
    expect(document.activeElement).toBe(screen.getByLabelText('Access token'));
    expect(sessionStorage.getItem('modelmeter.tokenRefused')).toBeNull();
  });

  it('is not offered for other errors', () => {
    render(ErrorNotice, { error: new ApiError('unavailable', 'down'), retry: () => {} });
    expect(screen.queryByRole('button', { name: 'Enter another token' })).toBeNull();
  });
});

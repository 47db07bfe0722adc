import { describe, expect, it, vi } from 'vitest';
import { takeToken } from '../../../../renderer/src/lib/transport/select.js';

function sources(hash: string, stored: string | null = null) {
  const store = new Map<string, string>(stored ? [['modelmeter.token', stored]] : []);
  return {
    location: { hash, pathname: '/', search: '' },
    history: { replaceState: vi.fn() },
    storage: { getItem: (key: string) => store.get(key) ?? null, setItem: (key: string, value: string) => void store.set(key, value) },
    store,
  };
}

describe('the token link', () => {
  it('takes the token from the link, keeps it for the tab and removes it from the address bar', () => {
    const s = sources('#token=abc123');
    expect(takeToken(s)).toBe('abc123');
    expect(s.store.get('modelmeter.token')).toBe('abc123');
    expect(s.history.replaceState).toHaveBeenCalledWith(null, '', '/#/');
  });

  it('keeps the route that came with the token', () => {
    const s = sources('#/models&token=abc123');
    expect(takeToken(s)).toBe('abc123');
    expect(s.history.replaceState).toHaveBeenCalledWith(null, '', '/#/models');
  });

  it('falls back to the token kept for this tab, and to none', () => {
    expect(takeToken(sources('#/channels', 'kept'))).toBe('kept');
    expect(takeToken(sources('#/channels'))).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { watchOnScreen, type PageVisibility } from '../../../../renderer/src/lib/transport/on-screen.js';

class FakePage implements PageVisibility {
  visibilityState: DocumentVisibilityState = 'visible';
  readonly listeners = new Set<() => void>();
  addEventListener(_type: 'visibilitychange', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'visibilitychange', listener: () => void): void {
    this.listeners.delete(listener);
  }
  set(state: DocumentVisibilityState): void {
    this.visibilityState = state;
    for (const listener of [...this.listeners]) listener();
  }
}

/** The desktop's word on the window, as the bridge relays it. */
function shownSource(initial: boolean) {
  let shown = initial;
  const listeners = new Set<(shown: boolean) => void>();
  return {
    subscribe: (listener: (shown: boolean) => void) => {
      listeners.add(listener);
      listener(shown);
      return () => listeners.delete(listener);
    },
    set(value: boolean) {
      shown = value;
      for (const listener of [...listeners]) listener(value);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

describe('watchOnScreen', () => {
  it('in a browser follows the page: a background tab or a minimised window is not seen', () => {
    const page = new FakePage();
    const told: boolean[] = [];
    const stop = watchOnScreen({ page }, (visible) => told.push(visible));
    page.set('hidden');
    page.set('hidden');
    page.set('visible');
    stop();
    page.set('hidden');
    expect(told).toEqual([true, false, true]);
    expect(page.listeners.size).toBe(0);
  });

  it('in the desktop app needs both: the window shown by the app and the page not hidden', () => {
    // Electron says 'visible' for a window made hidden until it is first shown: only main knows.
    const page = new FakePage();
    const shown = shownSource(false);
    const told: boolean[] = [];
    const stop = watchOnScreen({ page, shown: shown.subscribe }, (visible) => told.push(visible));
    shown.set(true);
    page.set('hidden'); // minimised
    page.set('visible');
    shown.set(false); // hidden to the tray; Electron makes the page hidden too
    page.set('hidden');
    stop();
    expect(told).toEqual([false, true, false, true, false]);
    expect(shown.listeners).toBe(0);
  });

  it('counts as seen where there is no page to ask (a test, a worker)', () => {
    const told: boolean[] = [];
    watchOnScreen({}, (visible) => told.push(visible))();
    expect(told).toEqual([true]);
  });
});

import { useClient } from './context.js';

/**
 * The current time for live counters (runtime, retry countdowns), ticking once a second while
 * anything shows one. Views read `clock.now`; nothing else polls.
 */
class Clock {
  now = $state(Date.now());
  #users = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Call from a component's $effect; returns the release function. */
  use(): () => void {
    this.#users += 1;
    if (!this.#timer) {
      this.now = Date.now();
      this.#timer = setInterval(() => (this.now = Date.now()), 1000);
    }
    return () => {
      this.#users -= 1;
      if (this.#users === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }
}

export const clock = new Clock();

/**
 * Keeps the clock ticking while the calling component is mounted and a person can see it: a window
 * hidden to the tray redraws no counters, and shows the right time again the moment it is seen.
 */
export function useClock(): Clock {
  const client = useClient();
  $effect(() => {
    let release: (() => void) | null = null;
    const unwatch = client.onScreen((visible) => {
      if (visible) release ??= clock.use();
      else {
        release?.();
        release = null;
      }
    });
    return () => {
      unwatch();
      release?.();
    };
  });
  return clock;
}

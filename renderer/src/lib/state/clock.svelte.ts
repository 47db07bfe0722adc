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

/** Keeps the clock ticking while the calling component is mounted. */
export function useClock(): Clock {
  $effect(() => clock.use());
  return clock;
}

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'modelmeter.theme';

/** Light and dark follow the OS unless the user picks one; the choice sets data-theme on <html>. */
class Theme {
  choice = $state<ThemeChoice>('system');

  constructor() {
    const saved = globalThis.localStorage?.getItem(KEY);
    if (saved === 'light' || saved === 'dark') this.choice = saved;
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === 'system') globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, choice);
    this.apply();
  }

  private apply(): void {
    const root = globalThis.document?.documentElement;
    if (!root) return;
    if (this.choice === 'system') delete root.dataset['theme'];
    else root.dataset['theme'] = this.choice;
  }
}

export const theme = new Theme();

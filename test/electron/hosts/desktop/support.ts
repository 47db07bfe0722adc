import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { FakeNotification } from './fakes.js';

/** A fresh temporary folder per test, removed afterwards. */
export function useTempDir(prefix = 'mm-desktop-'): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** Fake timers and a clean, supported FakeNotification for each test of a notifier; real timers after. */
export function useFakeNotifications(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeNotification.shown = [];
    FakeNotification.supported = true;
  });
  afterEach(() => vi.useRealTimers());
}

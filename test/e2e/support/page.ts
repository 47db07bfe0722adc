import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { openPage } from './browser.js';
import type { E2eServer } from './server.js';

/** Runs a scenario on a fresh page and fails it on any console error or CSP violation. */
export async function withPage(browser: Browser, options: BrowserContextOptions, scenario: (page: Page) => Promise<void>): Promise<void> {
  const watched = await openPage(browser, options);
  try {
    await scenario(watched.page);
    expect(watched.problems).toEqual([]);
  } finally {
    await watched.close();
  }
}

/** Opens a view through the dashboard link, the way a person pastes it (`#/models&token=...`). */
export async function visit(page: Page, server: E2eServer, route = '/overview'): Promise<void> {
  await page.goto(`${server.url}/#${route}&token=${encodeURIComponent(server.token)}`);
}

/** The big figure of an Overview card. */
export const cardValue = (page: Page, card: string) => page.getByTestId(card).locator('.value');

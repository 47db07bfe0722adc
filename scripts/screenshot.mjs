// Development aid: a PNG of a page in Debian's headless Chromium, to look at what was built.
// node scripts/screenshot.mjs <url> <out.png> [--width 1280] [--height 860] [--dark] [--lang zh-CN] [--full]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '860' },
    dark: { type: 'boolean', default: false },
    lang: { type: 'string', default: 'en-US' },
    full: { type: 'boolean', default: false },
    wait: { type: 'string', default: '1200' },
  },
});
const [url, out] = positionals;
if (!url || !out) {
  console.error('usage: node scripts/screenshot.mjs <url> <out.png> [--width N --height N --dark --lang zh-CN --full]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({
  viewport: { width: Number(values.width), height: Number(values.height) },
  colorScheme: values.dark ? 'dark' : 'light',
  locale: values.lang,
});
const page = await context.newPage();
page.on('console', (message) => {
  if (message.type() === 'error' || message.type() === 'warning') console.error(`[console.${message.type()}] ${message.text()}`);
});
page.on('pageerror', (error) => console.error(`[pageerror] ${error.message}`));
await page.goto(url);
await page.waitForTimeout(Number(values.wait));
await page.screenshot({ path: out, fullPage: values.full });
await browser.close();
console.log(out);

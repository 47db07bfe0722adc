#!/usr/bin/env node
// Renders the icon SVGs in build/icons-src to the PNGs electron-builder and the tray use:
//   build/icon.png (1024 px), build/tray/*.png (16 px and @2x 32 px) and, for the Windows tray,
//   build/tray/tray-{normal,alert,budget-warning,budget-over}-{light,dark}.ico (16, 20, 24, 32, 40 and 48 px in one file).
// ICONS=ico renders only the .ico files.
// Uses the system Chromium through playwright-core (no browser download):
//   npm run icons   (CHROMIUM=/path/to/chromium to use another)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { packIco } from './ico.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = (name) => fs.readFileSync(path.join(root, 'build', 'icons-src', name), 'utf8');

// The glyph colour decides which taskbar the icon suits: a dark glyph for light bars and the reverse.
// macOS template images must be black with alpha: the menu bar tints them itself.
const GLYPH = { light: '#1f2328', dark: '#f3f4f6', template: '#000000' };

// A budget at 80 % (amber badge) and at 100 % (red badge with a bar).
const BUDGET_KINDS = ['budget-warning', 'budget-over'];

const jobs = [{ svg: source('icon.svg'), color: '#000', size: 1024, out: 'icon.png' }];
for (const [scale, suffix] of [[1, ''], [2, '@2x']]) {
  const size = 16 * scale;
  jobs.push({ svg: source('tray.svg'), color: GLYPH.template, size, out: `tray/trayTemplate${suffix}.png` });
  for (const theme of ['light', 'dark']) {
    jobs.push({ svg: source('tray.svg'), color: GLYPH[theme], size, out: `tray/tray-normal-${theme}${suffix}.png` });
    jobs.push({ svg: source('tray-alert.svg'), color: GLYPH[theme], size, out: `tray/tray-alert-${theme}${suffix}.png` });
    for (const kind of BUDGET_KINDS) jobs.push({ svg: source(`tray-${kind}.svg`), color: GLYPH[theme], size, out: `tray/tray-${kind}-${theme}${suffix}.png` });
  }
}

/** Sizes Windows asks for at 100 % to 300 % scaling of a 16 px tray icon. */
const ICO_SIZES = [16, 20, 24, 32, 40, 48];
const icos = [];
for (const theme of ['light', 'dark']) {
  icos.push({ svg: source('tray.svg'), color: GLYPH[theme], out: `tray/tray-normal-${theme}.ico` });
  icos.push({ svg: source('tray-alert.svg'), color: GLYPH[theme], out: `tray/tray-alert-${theme}.ico` });
  for (const kind of BUDGET_KINDS) icos.push({ svg: source(`tray-${kind}.svg`), color: GLYPH[theme], out: `tray/tray-${kind}-${theme}.ico` });
}
const pngJobs = process.env.ICONS === 'ico' ? [] : jobs;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const render = async (job) => {
    await page.setViewportSize({ width: job.size, height: job.size });
    const svg = job.svg.replace('<svg ', `<svg width="${job.size}" height="${job.size}" `);
    await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent;color:${job.color}">${svg}</body></html>`);
    return page.locator('svg').screenshot({ omitBackground: true });
  };
  for (const job of pngJobs) {
    const file = path.join(root, 'build', job.out);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await render(job));
    process.stdout.write(`${path.relative(root, file)} (${job.size} px)\n`);
  }
  for (const ico of icos) {
    const images = [];
    for (const size of ICO_SIZES) images.push({ size, png: await render({ ...ico, size }) });
    const file = path.join(root, 'build', ico.out);
    fs.writeFileSync(file, packIco(images));
    process.stdout.write(`${path.relative(root, file)} (${ICO_SIZES.join(', ')} px)\n`);
  }
} finally {
  await browser.close();
}

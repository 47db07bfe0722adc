import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and the built headless server the process-level tests run. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HEADLESS_MAIN = path.join(ROOT, 'dist/electron/hosts/headless/main.js');

/** The newest modification time of the TypeScript sources below a folder. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Tests that spawn the server need dist/ built from the current sources. The e2e project's global
 * setup normally builds it before any test runs; a file run on its own rebuilds when sources are newer.
 */
export function ensureBuiltCore(): void {
  const built = fs.existsSync(HEADLESS_MAIN) ? fs.statSync(HEADLESS_MAIN).mtimeMs : 0;
  const sources = Math.max(newestSource(path.join(ROOT, 'electron')), newestSource(path.join(ROOT, 'shared')));
  if (built < sources) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

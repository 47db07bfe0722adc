import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RENDERER_ENTRY = 'index.html';

/**
 * True only for our renderer's own page: a file: URL (any hash or query) of index.html in the
 * renderer folder. Anything else (other files, http, devtools, data:) is foreign to the app.
 */
export function isTrustedRendererUrl(url: string, rendererDir: string, platform: NodeJS.Platform = process.platform): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:' || (parsed.host !== '' && parsed.host !== 'localhost')) return false;
  parsed.hash = '';
  parsed.search = '';
  let file: string;
  try {
    file = fileURLToPath(parsed);
  } catch {
    return false;
  }
  const expected = path.resolve(rendererDir, RENDERER_ENTRY);
  const actual = path.resolve(file);
  // Windows and macOS file systems are case-insensitive by default.
  return platform === 'linux' ? actual === expected : actual.toLowerCase() === expected.toLowerCase();
}

/** Links the app may hand to the system browser: http(s) only, never file:, javascript: or custom schemes. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const TOKEN_FILE = 'api-token';

/**
 * The API token: MODELMETER_TOKEN when set, else the one stored in the data folder (created on first
 * start, readable by the owner only).
 */
export function loadToken(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const token = fromEnv.trim();
    if (!/^[\x21-\x7e]{16,256}$/.test(token)) {
      throw new Error('MODELMETER_TOKEN must be 16-256 printable characters without spaces');
    }
    return token;
  }
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored.length >= 16) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return token;
}

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package version, found from source (electron/hosts/core) and from the build (dist/electron/hosts/core). */
export function appVersion(): string {
  for (const relative of ['../../../package.json', '../../../../package.json']) {
    try {
      const file = fileURLToPath(new URL(relative, import.meta.url));
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'modelmeter' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

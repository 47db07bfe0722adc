import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_USER_MODEL_ID } from '../../../../electron/hosts/desktop/app-identity.js';

const builderConfig = fs.readFileSync('electron-builder.yml', 'utf8');
const packageJson = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

describe('packaging configuration', () => {
  it('keeps electron-builder\'s default deb dependencies (no hard libappindicator3-1, which Debian 12 lacks)', () => {
    expect(builderConfig).not.toMatch(/^deb:/m);
    expect(builderConfig).not.toMatch(/^\s*-\s*libappindicator/m);
  });

  it('gives the installer the AppUserModelID the app sets at start', () => {
    expect(/^appId:\s*(\S+)\s*$/m.exec(builderConfig)?.[1]).toBe(APP_USER_MODEL_ID);
  });

  it('packages through the script that leaves node_modules built for Node', () => {
    expect(packageJson.scripts['dist']).toBe('node scripts/dist.mjs');
    expect(fs.readFileSync('scripts/dist.mjs', 'utf8')).toContain('packKeepingNodeNative');
  });

  it('still lets Node 20 install and test the project (CI), whatever desktop work needs', () => {
    expect(packageJson.engines.node).toMatch(/^>=20\.19/);
  });
});

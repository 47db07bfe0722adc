import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureElectronRuntime, nodeNote, RETRY_HINT } from '../../../../electron/hosts/launcher/electron-runtime.js';
import { findElectronBinary } from '../../../../electron/hosts/launcher/native.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project folder with node_modules/electron as a fresh `npm ci` of electron 45 leaves it: no path.txt, no dist/. */
function freshProject(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-launcher-'));
  made.push(root);
  fs.mkdirSync(path.join(root, 'node_modules', 'electron'), { recursive: true });
  fs.writeFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1' }));
  return root;
}

/** What install.js leaves behind once it has downloaded and unzipped the runtime. */
function installedRuntime(root: string, version = 'v45.4.1'): void {
  const dir = path.join(root, 'node_modules', 'electron');
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dist', 'electron'), '');
  fs.writeFileSync(path.join(dir, 'dist', 'version'), version);
  fs.writeFileSync(path.join(dir, 'path.txt'), 'electron');
}

describe('ensureElectronRuntime', () => {
  it('runs Electron\'s installer on a fresh install, says so, and returns the executable it put in place', () => {
    const root = freshProject();
    const messages: string[] = [];
    let installs = 0;
    const result = ensureElectronRuntime({
      root,
      electronVersion: '45.4.1',
      log: (message) => messages.push(message),
      install: (where) => {
        installs += 1;
        installedRuntime(where);
        return { ok: true };
      },
    });
    expect(installs).toBe(1);
    expect(result).toEqual({ ok: true, binary: path.join(root, 'node_modules', 'electron', 'dist', 'electron') });
    expect(messages[0]).toMatch(/not downloaded yet.*Downloading it now with Electron's own installer \(node_modules\/electron\/install\.js.*progress bar/);
    expect(messages.at(-1)).toMatch(/Electron 45\.4\.1 is downloaded/);
  });

  it('does nothing when the runtime is already there', () => {
    const root = freshProject();
    installedRuntime(root);
    const result = ensureElectronRuntime({ root, electronVersion: '45.4.1', log: () => {}, install: () => ({ ok: false, reason: 'must not run' }) });
    expect(result.ok).toBe(true);
  });

  it('when the download fails, says why and how to retry', () => {
    const root = freshProject();
    const result = ensureElectronRuntime({ root, electronVersion: '45.4.1', log: () => {}, install: () => ({ ok: false, reason: 'it exited with code 1 (its error is printed above)' }) });
    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    expect(reason).toContain('could not download the Electron 45.4.1 runtime: it exited with code 1');
    expect(reason).toContain(RETRY_HINT);
    expect(reason).toMatch(/npm start" again/);
  });

  it('names the Node version when it is older than what Electron\'s tooling declares', () => {
    expect(nodeNote('20.19.0')).toMatch(/Node 20\.19\.0.*>= 22\.12/);
    expect(nodeNote('22.11.0')).not.toBe('');
    expect(nodeNote('22.12.0')).toBe('');
    expect(nodeNote('24.1.0')).toBe('');
  });
});

describe('findElectronBinary', () => {
  it('finds nothing before the installer ran, and nothing for a runtime of another version', () => {
    const root = freshProject();
    expect(findElectronBinary(root, {})).toBeNull();
    installedRuntime(root, 'v44.0.0');
    expect(findElectronBinary(root, {})).toBeNull();
    installedRuntime(root);
    expect(findElectronBinary(root, {})).toBe(path.join(root, 'node_modules', 'electron', 'dist', 'electron'));
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeLoadsSqlite, packKeepingNodeNative } from '../../../../electron/hosts/launcher/keep-node-native.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A project with a copy of this repository's Node build of better-sqlite3 (and what it requires). */
function projectWithNodeSqlite(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-dist-'));
  made.push(root);
  const from = path.resolve('node_modules');
  const to = path.join(root, 'node_modules');
  fs.cpSync(path.join(from, 'better-sqlite3'), path.join(to, 'better-sqlite3'), {
    recursive: true,
    filter: (file) => !/[/\\](deps|src|obj|obj\.target)([/\\]|$)/.test(path.relative(from, file)) && !file.endsWith('.a'),
  });
  for (const dependency of ['bindings', 'file-uri-to-path']) fs.cpSync(path.join(from, dependency), path.join(to, dependency), { recursive: true });
  return root;
}

/** What electron-builder's npmRebuild leaves in node_modules: a binary Node cannot load (Electron's ABI). */
function rebuildForElectron(root: string): void {
  fs.writeFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), 'built for Electron 45 (NODE_MODULE_VERSION 140)');
}

describe('packKeepingNodeNative (npm run dist)', () => {
  it('a packaging step that rebuilds better-sqlite3 for Electron breaks Node on its own', () => {
    const root = projectWithNodeSqlite();
    expect(nodeLoadsSqlite(root).ok).toBe(true);
    rebuildForElectron(root);
    expect(nodeLoadsSqlite(root).ok).toBe(false);
  });

  it('leaves node_modules loadable by Node after that rebuild, and says so', () => {
    const root = projectWithNodeSqlite();
    const messages: string[] = [];
    const code = packKeepingNodeNative({ root, log: (message) => messages.push(message), pack: () => (rebuildForElectron(root), 0) });
    expect(code).toBe(0);
    expect(nodeLoadsSqlite(root)).toMatchObject({ ok: true });
    expect(messages.at(-1)).toMatch(/Node build again and loads/);
  });

  it('puts the Node build back even when packaging fails, and keeps the failure', () => {
    const root = projectWithNodeSqlite();
    expect(packKeepingNodeNative({ root, log: () => {}, pack: () => (rebuildForElectron(root), 7) })).toBe(7);
    expect(nodeLoadsSqlite(root).ok).toBe(true);
    expect(() =>
      packKeepingNodeNative({
        root,
        log: () => {},
        pack: () => {
          rebuildForElectron(root);
          throw new Error('electron-builder crashed');
        },
      }),
    ).toThrow(/crashed/);
    expect(nodeLoadsSqlite(root).ok).toBe(true);
  });
});

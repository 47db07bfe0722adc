import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_MARKER, DemoFolderError, isDemoFolder, prepareDemoFolder, removeDemoFolder } from '../../../../electron/hosts/demo/data-folder.js';

let root: string;
let real: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-demo-test-'));
  real = path.join(root, 'real', 'ModelMeter');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every file below a folder with its bytes: proof that nothing was touched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(dir, path.join(entry.parentPath, entry.name))] = fs.readFileSync(path.join(entry.parentPath, entry.name), 'hex');
  }
  return out;
}

describe('the demo data folder', () => {
  it('is a new marked temporary folder by default, and is deleted on request', () => {
    const folder = prepareDemoFolder({ realDataDir: real, tmpRoot: root });
    expect(folder.created && folder.fresh).toBe(true);
    expect(path.dirname(folder.dir)).toBe(root);
    expect(isDemoFolder(folder.dir)).toBe(true);
    fs.writeFileSync(path.join(folder.dir, 'modelmeter.db'), 'x');
    expect(removeDemoFolder(folder.dir)).toBe(true);
    expect(fs.existsSync(folder.dir)).toBe(false);
  });

  it('refuses a real ModelMeter folder and leaves it exactly as it was', () => {
    const other = path.join(root, 'someone-elses');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'modelmeter.db'), 'real ledger');
    fs.writeFileSync(path.join(other, 'api-token'), 'secret-token-secret\n');
    const before = snapshot(other);
    expect(() => prepareDemoFolder({ dataDir: other, realDataDir: real })).toThrow(DemoFolderError);
    expect(snapshot(other)).toEqual(before);
    expect(removeDemoFolder(other)).toBe(false);
    expect(snapshot(other)).toEqual(before);
  });

  it('refuses the default data folder, even before the app ever made it', () => {
    expect(() => prepareDemoFolder({ dataDir: real, realDataDir: real })).toThrow(/real data folder/);
    expect(fs.existsSync(real)).toBe(false);
    fs.mkdirSync(real, { recursive: true });
    expect(() => prepareDemoFolder({ dataDir: `${real}/`, realDataDir: real })).toThrow(DemoFolderError);
    expect(fs.readdirSync(real)).toEqual([]);
  });

  it('refuses any other folder that is not empty', () => {
    const notes = path.join(root, 'notes');
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
    expect(() => prepareDemoFolder({ dataDir: notes, realDataDir: real })).toThrow(/not empty/);
    expect(fs.readdirSync(notes)).toEqual(['todo.txt']);
  });

  it('takes a new or empty folder and marks it; an earlier demo folder is reused as it is', () => {
    const fresh = prepareDemoFolder({ dataDir: path.join(root, 'a', 'b'), realDataDir: real });
    expect(fresh).toEqual({ dir: path.join(root, 'a', 'b'), created: true, fresh: true });
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    expect(prepareDemoFolder({ dataDir: empty, realDataDir: real })).toEqual({ dir: empty, created: false, fresh: true });
    expect(fs.readdirSync(empty)).toEqual([DEMO_MARKER]);
    fs.writeFileSync(path.join(empty, 'modelmeter.db'), 'demo ledger');
    expect(prepareDemoFolder({ dataDir: empty, realDataDir: real })).toEqual({ dir: empty, created: false, fresh: false });
  });
});

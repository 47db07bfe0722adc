import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileKeyVault } from '../../../../electron/sources/secrets/key-vault.js';
import { FileOtlpHeaderVault, OTLP_HEADERS_FILE } from '../../../../electron/sources/secrets/otlp-headers.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-secrets-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('OTLP header vault (a secret file in the data folder)', () => {
  it('holds nothing until written, then the whole set, readable by the owner only, across reopening', () => {
    const dir = tempDir();
    const vault = FileOtlpHeaderVault.inFolder(dir);
    expect(vault.get()).toEqual({});
    expect(fs.existsSync(path.join(dir, OTLP_HEADERS_FILE))).toBe(false);
    vault.replace({ 'x-api-key': 'one', 'x-tenant': 'two' });
    vault.replace({ 'x-api-key': 'three' });
    expect(FileOtlpHeaderVault.inFolder(dir).get()).toEqual({ 'x-api-key': 'three' });
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, OTLP_HEADERS_FILE)).mode & 0o777).toBe(0o600);
    // Written whole and renamed: no temporary file is left beside it.
    expect(fs.readdirSync(dir)).toEqual([OTLP_HEADERS_FILE]);
  });

  it('tightens a file that existed with wider permissions when it rewrites it', () => {
    if (process.platform === 'win32') return;
    const dir = tempDir();
    const file = path.join(dir, OTLP_HEADERS_FILE);
    fs.writeFileSync(file, '{"a":"b"}', { mode: 0o644 });
    const vault = FileOtlpHeaderVault.inFolder(dir);
    expect(vault.get()).toEqual({ a: 'b' });
    vault.replace({ a: 'c' });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a broken file with a message that names it, and leaves it as it was', () => {
    const dir = tempDir();
    const file = path.join(dir, OTLP_HEADERS_FILE);
    fs.writeFileSync(file, '{not json');
    expect(() => FileOtlpHeaderVault.inFolder(dir)).toThrow(/otlp-headers\.json is not valid JSON.*OTLP push/);
    fs.writeFileSync(file, '["x"]');
    expect(() => FileOtlpHeaderVault.inFolder(dir)).toThrow(/header name -> value/);
    expect(fs.readFileSync(file, 'utf8')).toBe('["x"]');
  });

  it('shares its file handling with the channel key vault', () => {
    const dir = tempDir();
    const keys = FileKeyVault.inFolder(dir);
    keys.replaceAll(new Map([['c1', 'sk-1']]));
    expect(FileKeyVault.inFolder(dir).get('c1')).toBe('sk-1');
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'channel-keys.json')).mode & 0o777).toBe(0o600);
  });
});

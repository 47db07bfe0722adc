import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareDataDir } from '../../../../electron/hosts/core/data-dir.js';
import { DATABASE_FILE } from '../../../../electron/hosts/core/start-core.js';
import { Ledger } from '../../../../electron/ledger/store/ledger.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelmeter-perms-'));
  // An existing folder anyone may list (--data-dir ./my-ledger made by hand), under the usual umask.
  fs.chmodSync(dir, 0o755);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const ledgerFiles = (file: string) => [file, `${file}-wal`, `${file}-shm`];

describe.skipIf(process.platform === 'win32')('the ledger files', () => {
  it('are created readable by their owner only (0600), the WAL and its index too, in a 0755 folder', () => {
    const file = path.join(prepareDataDir(dir), DATABASE_FILE);
    const ledger = Ledger.open(file);
    try {
      ledger.write(() => ledger.settings.update({ retentionDays: 30 }));
      for (const each of ledgerFiles(file)) expect([each, modeOf(each).toString(8)]).toEqual([each, '600']);
    } finally {
      ledger.close();
    }
    expect(modeOf(file).toString(8)).toBe('600');
  });

  it('left 0644 by an earlier version are narrowed to 0600 when opened', () => {
    const file = path.join(dir, DATABASE_FILE);
    const first = Ledger.open(file);
    // Keep the log and its index on disk while they are widened, as after a crash.
    for (const each of ledgerFiles(file)) fs.chmodSync(each, 0o644);
    const second = Ledger.open(file);
    try {
      for (const each of ledgerFiles(file)) expect([each, modeOf(each).toString(8)]).toEqual([each, '600']);
    } finally {
      second.close();
      first.close();
    }
  });
});

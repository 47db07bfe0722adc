import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { DATABASE_FILE, startCore, type CoreOptions } from '../../../../electron/hosts/core/start-core.js';
import type { SchemaUpgrade } from '../../../../electron/ledger/store/database.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from '../../../../electron/ledger/store/migrations.js';
import { tempDir } from '../http/helpers.js';

const TOKEN = 'start-core-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(options: Partial<CoreOptions>) {
  return startCore({ dataDir: tempDir('modelmeter-core-'), port: 0, token: TOKEN, reads: 'inline', writes: 'inline', ...options });
}

describe('a started core', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('warms its read workers once, a moment after its port is open', async () => {
    const warm = vi.spyOn(LedgerService.prototype, 'warmReads');
    const core = await start({ warmReadsAfterMs: 30 });
    try {
      expect(warm).not.toHaveBeenCalled();
      await vi.waitFor(() => expect(warm).toHaveBeenCalledTimes(1), { timeout: 5_000, interval: 10 });
      await sleep(100);
      expect(warm).toHaveBeenCalledTimes(1);
    } finally {
      await core.close();
    }
  });

  it('does not warm them when told not to, nor once it is closed', async () => {
    const warm = vi.spyOn(LedgerService.prototype, 'warmReads');
    const never = await start({ warmReadsAfterMs: null });
    const closed = await start({ warmReadsAfterMs: 150 });
    await closed.close();
    await sleep(300);
    await never.close();
    expect(warm).not.toHaveBeenCalled();
  });

  it("tells the host of a schema upgrade and waits for it before the upgrade runs; nothing on a new or current ledger", async () => {
    const dataDir = tempDir('modelmeter-core-');
    const file = path.join(dataDir, DATABASE_FILE);
    const old = new BetterSqlite3(file);
    migrate(old, MIGRATIONS.slice(0, -1));
    old.close();
    const told: { upgrade: SchemaUpgrade; versionMeanwhile: number }[] = [];
    const beforeUpgrade = async (upgrade: SchemaUpgrade) => {
      await sleep(20);
      const peek = new BetterSqlite3(file, { readonly: true });
      told.push({ upgrade, versionMeanwhile: peek.pragma('user_version', { simple: true }) as number });
      peek.close();
    };
    const core = await start({ dataDir, beforeUpgrade });
    await core.close();
    expect(told).toEqual([{ upgrade: { from: SCHEMA_VERSION - 1, to: SCHEMA_VERSION, bytes: expect.any(Number) as number }, versionMeanwhile: SCHEMA_VERSION - 1 }]);
    const again = await start({ dataDir, beforeUpgrade });
    await again.close();
    const fresh = await start({ beforeUpgrade });
    await fresh.close();
    expect(told).toHaveLength(1);
  });
});

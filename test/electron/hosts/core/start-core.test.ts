import { afterEach, describe, expect, it, vi } from 'vitest';
import { LedgerService } from '../../../../electron/app/ledger-service.js';
import { startCore, type CoreOptions } from '../../../../electron/hosts/core/start-core.js';
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
});

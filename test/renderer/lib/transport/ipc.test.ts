import { describe, expect, it, vi } from 'vitest';
import type { DesktopBridge } from '../../../../shared/bridge.js';
import { ApiError } from '../../../../shared/errors.js';
import { ipcClient } from '../../../../renderer/src/lib/transport/ipc.js';

function bridgeAnswering(answer: unknown): DesktopBridge & { invoke: ReturnType<typeof vi.fn> } {
  return { invoke: vi.fn(async () => answer), onEvent: vi.fn(() => () => {}), platform: 'linux' } as never;
}

describe('the desktop transport', () => {
  it('unwraps a successful envelope', async () => {
    const bridge = bridgeAnswering({ ok: true, value: { retentionDays: 90 } });
    const client = ipcClient(bridge);
    await expect(client.call('getSettings')).resolves.toEqual({ retentionDays: 90 });
    expect(bridge.invoke).toHaveBeenCalledWith('getSettings', undefined);
  });

  it('rebuilds an ApiError with its code and details from a failed envelope', async () => {
    const bridge = bridgeAnswering({ ok: false, error: { code: 'validation_failed', message: 'bad', details: [{ field: 'retentionDays', reason: 'too small' }] } });
    const failure = await ipcClient(bridge).call('updateSettings', { retentionDays: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ code: 'validation_failed', details: [{ field: 'retentionDays', reason: 'too small' }] });
  });

  it('passes ledger events through the bridge subscription', () => {
    const bridge = bridgeAnswering(null);
    const listener = vi.fn();
    ipcClient(bridge).subscribe(listener);
    expect(bridge.onEvent).toHaveBeenCalledWith(listener);
  });

  it('counts its window as seen only while the app shows it', () => {
    let tell: (shown: boolean) => void = () => {};
    const bridge = { ...bridgeAnswering(null), onShown: vi.fn((listener: (shown: boolean) => void) => ((tell = listener), listener(false), () => {})) };
    const told: boolean[] = [];
    ipcClient(bridge).onScreen((visible) => told.push(visible));
    tell(true);
    tell(false);
    expect(told).toEqual([false, true, false]);
  });
});

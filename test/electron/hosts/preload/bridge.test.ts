import { describe, expect, it } from 'vitest';
import { channelOf, EVENT_CHANNEL, SHOWN_CHANNEL, type BridgeOperation } from '../../../../shared/bridge.js';
import type { LedgerEvent } from '../../../../shared/types.js';
import { createBridge, type IpcRendererLike } from '../../../../electron/hosts/preload/bridge.js';

type Relay = (event: unknown, ...args: unknown[]) => void;

class FakeIpcRenderer implements IpcRendererLike {
  readonly invoked: { channel: string; args: unknown[] }[] = [];
  readonly listeners = new Map<string, Set<Relay>>();
  answer: unknown = { ok: true, value: 42 };
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, args });
    return Promise.resolve(this.answer);
  }
  on(channel: string, listener: Relay): this {
    if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
    this.listeners.get(channel)!.add(listener);
    return this;
  }
  removeListener(channel: string, listener: Relay): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }
  /** The main process sends on a channel; Electron passes its own event object first. */
  push(channel: string, payload: unknown): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender: 'ipc internals' }, payload);
  }
}

describe('createBridge (window.modelmeter)', () => {
  it('sends each operation on its own channel with its one input, and hands back the envelope as is', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc, 'darwin');
    ipc.answer = { ok: false, error: { code: 'not_found', message: 'no such model' } };
    expect(await bridge.invoke('getPricing', { model: 'x' })).toEqual({ ok: false, error: { code: 'not_found', message: 'no such model' } });
    await bridge.invoke('getStorageInfo', undefined);
    expect(ipc.invoked).toEqual([
      { channel: channelOf('getPricing'), args: [{ model: 'x' }] },
      { channel: channelOf('getStorageInfo'), args: [undefined] },
    ]);
    expect(bridge.platform).toBe('darwin');
  });

  it('refuses an operation outside the contract without touching IPC', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc, 'linux');
    const answer = await bridge.invoke('eval' as BridgeOperation, undefined as never);
    expect(answer).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(ipc.invoked).toEqual([]);
  });

  it('delivers ledger events without Electron\'s event object, until unsubscribed', () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc, 'win32');
    const seen: unknown[][] = [];
    const stop = bridge.onEvent((...args) => seen.push(args));
    const event: LedgerEvent = { type: 'pricing', model: 'gpt-5' };
    ipc.push(EVENT_CHANNEL, event);
    expect(seen).toEqual([[event]]);
    stop();
    ipc.push(EVENT_CHANNEL, event);
    expect(seen).toHaveLength(1);
    expect(ipc.listeners.get(EVENT_CHANNEL)?.size).toBe(0);
  });

  it('says the window is shown until main says otherwise, then follows main, heard before any view asks', () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc, 'linux');
    // Main tells a hidden window so as soon as its page has loaded, before the views subscribe.
    ipc.push(SHOWN_CHANNEL, false);
    const told: boolean[] = [];
    const stop = bridge.onShown((shown) => told.push(shown));
    ipc.push(SHOWN_CHANNEL, true);
    ipc.push(SHOWN_CHANNEL, true);
    ipc.push(SHOWN_CHANNEL, 'yes');
    ipc.push(SHOWN_CHANNEL, false);
    stop();
    ipc.push(SHOWN_CHANNEL, true);
    expect(told).toEqual([false, true, false]);
    const late: boolean[] = [];
    bridge.onShown((shown) => late.push(shown));
    expect(late).toEqual([true]);
    expect(createBridge(new FakeIpcRenderer(), 'linux').onShown(() => {})).toBeTypeOf('function');
  });

  it('cannot be changed by the page', () => {
    const bridge = createBridge(new FakeIpcRenderer(), 'linux');
    expect(Object.isFrozen(bridge)).toBe(true);
  });
});

import { BRIDGE_OPERATIONS, channelOf, EVENT_CHANNEL, SHOWN_CHANNEL, type BridgeOperation, type DesktopBridge, type OperationInput, type OperationOutput } from '../../../shared/bridge.js';
import type { Envelope } from '../../../shared/errors.js';
import type { LedgerEvent } from '../../../shared/types.js';

/** The part of ipcRenderer the bridge uses (a fake in tests). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

const KNOWN = new Set<string>(BRIDGE_OPERATIONS);

/**
 * What the renderer gets on window.modelmeter: typed calls on the contract's channels and the
 * event feed, never ipcRenderer itself or the IPC event objects (which reach into Electron).
 */
export function createBridge(ipc: IpcRendererLike, platform: string): DesktopBridge {
  // Heard from the start, before any view subscribes, so a view mounted later still learns that its
  // window is hidden. Until main says otherwise the window counts as shown: a view then refreshes
  // as it would in a browser rather than never.
  let shown = true;
  const shownListeners = new Set<(shown: boolean) => void>();
  ipc.on(SHOWN_CHANNEL, (_event: unknown, payload: unknown) => {
    if (typeof payload !== 'boolean' || payload === shown) return;
    shown = payload;
    for (const listener of [...shownListeners]) listener(shown);
  });
  return Object.freeze({
    platform,
    invoke<K extends BridgeOperation>(operation: K, input: OperationInput<K>): Promise<Envelope<OperationOutput<K>>> {
      if (!KNOWN.has(operation)) {
        return Promise.resolve({ ok: false, error: { code: 'bad_request', message: `unknown operation "${String(operation)}"` } });
      }
      return ipc.invoke(channelOf(operation), input) as Promise<Envelope<OperationOutput<K>>>;
    },
    onEvent(listener: (event: LedgerEvent) => void): () => void {
      const relay = (_event: unknown, payload: unknown) => listener(payload as LedgerEvent);
      ipc.on(EVENT_CHANNEL, relay);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, relay);
      };
    },
    onShown(listener: (shown: boolean) => void): () => void {
      shownListeners.add(listener);
      listener(shown);
      return () => {
        shownListeners.delete(listener);
      };
    },
  });
}

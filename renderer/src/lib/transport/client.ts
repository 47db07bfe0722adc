import type { BridgeOperation, OperationInput, OperationOutput } from '../../../../shared/bridge.js';
import type { LedgerEvent } from '../../../../shared/types.js';

export type ConnectionState = 'connecting' | 'live' | 'offline';

/**
 * What every view talks to, whichever host the renderer runs in: IPC inside the desktop app, HTTP
 * and a server-sent event stream in a browser. Failures reject with an ApiError carrying a code.
 */
export interface ModelMeterClient {
  readonly host: 'desktop' | 'browser';
  call<K extends BridgeOperation>(operation: K, ...input: OperationInput<K> extends undefined ? [] : [OperationInput<K>]): Promise<OperationOutput<K>>;
  /** Every change the ledger announces; returns the unsubscribe function. */
  subscribe(listener: (event: LedgerEvent) => void): () => void;
  /** Whether live updates are flowing; the shell shows it. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Whether a person can see this renderer (on-screen.ts): told at once, then on every change. */
  onScreen(listener: (visible: boolean) => void): () => void;
  close(): void;
}

/**
 * The desktop IPC contract: one channel per operation of the ledger and of the app host, derived
 * from the operation lists so none is forgotten, and the one object the preload exposes. Answers
 * cross as envelopes; the renderer rebuilds an ApiError from a failed one.
 */
import { LEDGER_OPERATIONS, type LedgerApi } from './api.js';
import { APP_OPERATIONS, type AppApi } from './app.js';
import type { Envelope } from './errors.js';
import type { LedgerEvent } from './types.js';

export type BridgeApi = LedgerApi & AppApi;
export type BridgeOperation = keyof BridgeApi;

export const BRIDGE_OPERATIONS: readonly BridgeOperation[] = [...LEDGER_OPERATIONS, ...APP_OPERATIONS];

/** The single argument of an operation, or undefined for those that take none. */
export type OperationInput<K extends BridgeOperation> = Parameters<BridgeApi[K]> extends [infer A, ...unknown[]] ? A : undefined;
export type OperationOutput<K extends BridgeOperation> = Awaited<ReturnType<BridgeApi[K]>>;

export const CHANNEL_PREFIX = 'modelmeter:';
export const EVENT_CHANNEL = 'modelmeter:event';
/**
 * Main to a window: whether the app shows it (true) or keeps it hidden (false). Electron's own page
 * visibility says 'visible' for a window made with `show: false` until it is first shown, and the
 * quick view is made hidden at start and may never be shown.
 */
export const SHOWN_CHANNEL = 'modelmeter:shown';

export function channelOf(operation: BridgeOperation): string {
  return `${CHANNEL_PREFIX}${operation}`;
}

/** Channel name back to the operation, or null for anything not in the contract. */
export function operationOf(channel: string): BridgeOperation | null {
  if (!channel.startsWith(CHANNEL_PREFIX)) return null;
  const name = channel.slice(CHANNEL_PREFIX.length);
  return (BRIDGE_OPERATIONS as readonly string[]).includes(name) ? (name as BridgeOperation) : null;
}

/** What the preload puts on `window.modelmeter`: nothing but typed calls and the event feed. */
export interface DesktopBridge {
  invoke<K extends BridgeOperation>(operation: K, input: OperationInput<K>): Promise<Envelope<OperationOutput<K>>>;
  /** Returns the unsubscribe function. */
  onEvent(listener: (event: LedgerEvent) => void): () => void;
  /** Whether the app shows this window: told at once, then on every change. Returns the unsubscribe function. */
  onShown(listener: (shown: boolean) => void): () => void;
  readonly platform: string;
}

export const BRIDGE_GLOBAL = 'modelmeter';

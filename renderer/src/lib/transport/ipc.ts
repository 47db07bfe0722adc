import { ApiError } from '../../../../shared/errors.js';
import type { BridgeOperation, DesktopBridge, OperationInput, OperationOutput } from '../../../../shared/bridge.js';
import type { ConnectionState, ModelMeterClient } from './client.js';
import { watchOnScreen } from './on-screen.js';

/** The desktop transport: calls cross the preload bridge and come back as envelopes. */
export function ipcClient(bridge: DesktopBridge): ModelMeterClient {
  return {
    host: 'desktop',
    async call<K extends BridgeOperation>(operation: K, ...input: OperationInput<K> extends undefined ? [] : [OperationInput<K>]): Promise<OperationOutput<K>> {
      const envelope = await bridge.invoke(operation, input[0] as OperationInput<K>);
      if (envelope.ok) return envelope.value;
      throw ApiError.fromBody(envelope.error);
    },
    subscribe: (listener) => bridge.onEvent(listener),
    // The main process owns the data: there is no stream that could drop.
    onConnection(listener: (state: ConnectionState) => void) {
      listener('live');
      return () => {};
    },
    onScreen: (listener) => watchOnScreen({ page: globalThis.document, shown: (told) => bridge.onShown(told) }, listener),
    close() {},
  };
}

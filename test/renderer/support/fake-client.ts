import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import type { BridgeOperation, OperationInput, OperationOutput } from '../../../shared/bridge.js';
import { ApiError } from '../../../shared/errors.js';
import type { LedgerEvent } from '../../../shared/types.js';
import type { ConnectionState, ModelMeterClient } from '../../../renderer/src/lib/transport/client.js';
import WithClient from './with-client.svelte';

/** How a test answers an operation: a function of the call's input, like the real service. */
export type FakeHandlers = Partial<{ [K in BridgeOperation]: (input: OperationInput<K>) => Promise<OperationOutput<K>> }>;

export interface RecordedCall {
  operation: BridgeOperation;
  input: unknown;
}

/** A ModelMeterClient a test drives: it answers from handlers, records calls and emits ledger events. */
export interface FakeClient extends ModelMeterClient {
  /** Every call in order, answered or not. */
  readonly calls: RecordedCall[];
  /** The inputs of every call of one operation, in order. */
  callsOf<K extends BridgeOperation>(operation: K): OperationInput<K>[];
  /** Replace or add handlers mid-test (for example to make a failing call succeed on retry). */
  handle(handlers: FakeHandlers): void;
  /** Deliver a ledger event to every subscriber, as the event stream would. */
  emit(event: LedgerEvent): void;
  setConnection(state: ConnectionState): void;
  /** Whether a person can see the page, as the transport would tell it (true at first). */
  setOnScreen(visible: boolean): void;
  /** How many event subscribers are attached (0 after every view unmounted cleanly). */
  readonly subscribers: number;
  readonly closed: boolean;
}

/**
 * An operation without a handler rejects (with an `internal` ApiError naming it) rather than
 * answering something made up, so a test notices a call it did not expect.
 */
export function makeFakeClient(handlers: FakeHandlers = {}, host: ModelMeterClient['host'] = 'browser'): FakeClient {
  const table: FakeHandlers = { ...handlers };
  const calls: RecordedCall[] = [];
  const listeners = new Set<(event: LedgerEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  const screenListeners = new Set<(visible: boolean) => void>();
  let connection: ConnectionState = 'live';
  let onScreen = true;
  let closed = false;

  const client: FakeClient = {
    host,
    calls,
    call<K extends BridgeOperation>(operation: K, ...rest: OperationInput<K> extends undefined ? [] : [OperationInput<K>]): Promise<OperationOutput<K>> {
      const input = rest[0] as OperationInput<K>;
      calls.push({ operation, input });
      const handler = table[operation] as ((input: OperationInput<K>) => Promise<OperationOutput<K>>) | undefined;
      if (!handler) return Promise.reject(new ApiError('internal', `the fake client has no handler for ${operation}`));
      try {
        return handler(input);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    callsOf<K extends BridgeOperation>(operation: K): OperationInput<K>[] {
      return calls.filter((call) => call.operation === operation).map((call) => call.input as OperationInput<K>);
    },
    handle(more: FakeHandlers): void {
      Object.assign(table, more);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connection);
      return () => connectionListeners.delete(listener);
    },
    onScreen(listener) {
      screenListeners.add(listener);
      listener(onScreen);
      return () => screenListeners.delete(listener);
    },
    setOnScreen(visible: boolean): void {
      onScreen = visible;
      for (const listener of [...screenListeners]) listener(visible);
    },
    emit(event: LedgerEvent): void {
      for (const listener of [...listeners]) listener(event);
    },
    setConnection(state: ConnectionState): void {
      connection = state;
      for (const listener of [...connectionListeners]) listener(state);
    },
    get subscribers() {
      return listeners.size;
    },
    get closed() {
      return closed;
    },
    close(): void {
      closed = true;
      listeners.clear();
      connectionListeners.clear();
      screenListeners.clear();
    },
  };
  return client;
}

/** Renders a view or component inside WithClient, so its useClient() finds the fake. */
export function renderWithClient<P extends Record<string, unknown>>(client: ModelMeterClient, component: Component<P>, props: P = {} as P): ReturnType<typeof render> {
  return render(WithClient as Component<{ client: ModelMeterClient; component: Component<P>; props: P }>, { props: { client, component, props } });
}

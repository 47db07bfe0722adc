import { getContext, setContext } from 'svelte';
import type { ModelMeterClient } from '../transport/client.js';

const CLIENT = Symbol('modelmeter-client');

/** The shell provides the client once; views and component tests get it from here. */
export function provideClient(client: ModelMeterClient): void {
  setContext(CLIENT, client);
}

export function useClient(): ModelMeterClient {
  const client = getContext<ModelMeterClient | undefined>(CLIENT);
  if (!client) throw new Error('no ModelMeter client in context: render views inside the app shell (or provideClient in tests)');
  return client;
}

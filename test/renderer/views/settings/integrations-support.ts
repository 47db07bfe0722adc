import { ApiError } from '../../../../shared/errors.js';
import { proxyRouteInputSchema, routeNameSchema, watcherInputSchema, type ProxyRouteInput, type WatcherInput } from '../../../../shared/schemas/integrations.js';
import type { ProxyRoute, Watcher, WatcherStatus } from '../../../../shared/types.js';
import type { FakeHandlers } from '../../support/fake-client.js';

const maskOf = (key: string) => `${key.slice(0, 4)}…${key.slice(-4)}`;

/**
 * Routes and watchers kept the way the core keeps them: a key given is held (only its mask shown),
 * null forgets it, an absent key keeps the one held for that channel id. Saving a watcher replaces it.
 */
export function integrationsService(initial: { routes?: ProxyRoute[]; watchers?: Watcher[] } = {}) {
  let routes: ProxyRoute[] = [...(initial.routes ?? [])];
  let watchers: Watcher[] = [...(initial.watchers ?? [])];
  let nextId = 100;

  function saveRoute(name: string, input: ProxyRouteInput): ProxyRoute {
    if (!routeNameSchema.safeParse(name).success) throw new ApiError('validation_failed', 'invalid route name', [{ field: '(body)', reason: 'bad name' }]);
    const parsed = proxyRouteInputSchema.parse(input);
    const previous = routes.find((route) => route.name === name);
    const route: ProxyRoute = {
      name,
      protocol: parsed.protocol,
      includeUsage: parsed.includeUsage,
      timeoutSeconds: parsed.timeoutSeconds,
      enabled: parsed.enabled,
      path: `/r/${name}`,
      channels: parsed.channels.map((channel) => {
        const known = previous?.channels.find((candidate) => candidate.id === channel.id);
        const id = channel.id ?? `c${nextId++}`;
        const keyMask = channel.apiKey === null ? null : channel.apiKey !== undefined ? maskOf(channel.apiKey) : (known?.keyMask ?? null);
        return { id, baseUrl: channel.baseUrl, label: channel.label ?? null, hasKey: keyMask !== null, keyMask, metricsKey: keyMask === null ? null : `mk-${id}` };
      }),
    };
    routes = previous ? routes.map((known) => (known === previous ? route : known)) : [...routes, route];
    return route;
  }

  function saveWatcher(id: string | undefined, input: WatcherInput): Watcher {
    const parsed = watcherInputSchema.parse(input);
    const known = watchers.find((watcher) => watcher.id === id);
    const status: WatcherStatus = parsed.enabled ? (known?.status ?? { state: 'connecting', lastError: null, lastOkAt: null, nextRetryAt: null, models: [] }) : OFF;
    const watcher: Watcher = { id: id ?? `w${nextId++}`, ...parsed, model: parsed.model ?? null, label: parsed.label ?? null, status };
    watchers = known ? watchers.map((item) => (item === known ? watcher : item)) : [...watchers, watcher];
    return watcher;
  }

  const handlers: FakeHandlers = {
    listRoutes: async () => routes,
    saveRoute: async ({ name, route }) => saveRoute(name, route),
    deleteRoute: async ({ name }) => {
      routes = routes.filter((route) => route.name !== name);
      return { name };
    },
    listWatchers: async () => watchers,
    saveWatcher: async ({ id, watcher }) => saveWatcher(id, watcher),
    deleteWatcher: async ({ id }) => {
      watchers = watchers.filter((watcher) => watcher.id !== id);
      return { id };
    },
  };
  return {
    handlers,
    get routes() {
      return routes;
    },
    get watchers() {
      return watchers;
    },
    /** A launcher's state changing, as the watcher manager reports it. */
    setStatus(id: string, status: WatcherStatus) {
      watchers = watchers.map((watcher) => (watcher.id === id ? { ...watcher, status } : watcher));
    },
  };
}

export const OFF: WatcherStatus = { state: 'off', lastError: null, lastOkAt: null, nextRetryAt: null, models: [] };

export const OPENAI_ROUTE: ProxyRoute = {
  name: 'openai',
  protocol: 'openai',
  includeUsage: true,
  timeoutSeconds: 300,
  enabled: true,
  path: '/r/openai',
  channels: [
    { id: 'a1', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI', hasKey: true, keyMask: 'sk-a…9xQ2', metricsKey: '36f2d37fc609f5ca' },
    { id: 'b2', baseUrl: 'http://127.0.0.1:8080/v1', label: 'Local llama.cpp', hasKey: false, keyMask: null, metricsKey: null },
  ],
};

export function watcher(overrides: Partial<Watcher> = {}): Watcher {
  return {
    id: 'w1',
    kind: 'llama-swap',
    baseUrl: 'http://127.0.0.1:8080',
    enabled: true,
    pollSeconds: 5,
    model: null,
    label: 'GPU box',
    status: { state: 'up', lastError: null, lastOkAt: Date.now() - 5_000, nextRetryAt: null, models: ['Qwen3-Coder-30B', 'gpt-oss-20b'] },
    ...overrides,
  };
}

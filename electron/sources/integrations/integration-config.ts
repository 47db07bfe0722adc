import { randomBytes } from 'node:crypto';
import { ApiError } from '../../../shared/errors.js';
import {
  proxyRouteInputSchema,
  routeNameSchema,
  watcherIdSchema,
  watcherInputSchema,
  type ProxyProtocol,
  type ProxyRouteInput,
  type WatcherInput,
} from '../../../shared/schemas/integrations.js';
import type { ProxyChannel, ProxyRoute, Watcher, WatcherStatus } from '../../../shared/types.js';
import { maskKey, metricsKey, normalizeBaseUrl } from '../../ledger/channels/metrics-key.js';
import type { KeyVault } from '../secrets/key-vault.js';
import type { Ledger } from '../../ledger/store/ledger.js';
import { parseInput } from '../../ledger/input/validation.js';

const ROUTES_KEY = 'integrations.routes';
const WATCHERS_KEY = 'integrations.watchers';

interface StoredChannel {
  id: string;
  baseUrl: string;
  label: string | null;
}

interface StoredRoute {
  name: string;
  protocol: ProxyProtocol;
  channels: StoredChannel[];
  includeUsage: boolean;
  timeoutSeconds: number;
  enabled: boolean;
  /** Recorded on calls that name no project; absent on routes saved before projects existed. */
  project?: string;
}

/** A watcher as configured; its status is live state, never stored. */
export type StoredWatcher = Omit<Watcher, 'status'>;

/** A route as the proxy uses it: channels with the key the app holds, by priority. */
export interface RuntimeChannel extends StoredChannel {
  apiKey: string | null;
}

export interface RuntimeRoute extends Omit<StoredRoute, 'channels'> {
  channels: RuntimeChannel[];
}

const newId = () => randomBytes(6).toString('hex');

export const OFF_STATUS: WatcherStatus = { state: 'off', lastError: null, lastOkAt: null, nextRetryAt: null, models: [] };

/**
 * Proxy routes and launcher watchers: what the user configured, validated with the shared schemas.
 * Routes and watchers are kept in the ledger's database; the keys the app holds for channels are
 * kept apart, in the key vault, and only their masks are ever shown.
 */
export class IntegrationConfig {
  private routes: StoredRoute[];
  private watchers: StoredWatcher[];
  private watcherStatus: (id: string) => WatcherStatus = () => OFF_STATUS;
  /** route()'s answers by name; null until asked for after a change. */
  private runtime: Map<string, Readonly<RuntimeRoute>> | null = null;

  constructor(
    private readonly ledger: Ledger,
    private readonly vault: KeyVault,
  ) {
    this.routes = asArray<StoredRoute>(ledger.config.read(ROUTES_KEY));
    this.watchers = asArray<StoredWatcher>(ledger.config.read(WATCHERS_KEY));
  }

  /** Where live watcher states come from (the watcher manager, once it runs). */
  useWatcherStatus(source: (id: string) => WatcherStatus): void {
    this.watcherStatus = source;
  }

  listRoutes(): ProxyRoute[] {
    return this.routes.map((route) => this.describeRoute(route));
  }

  /**
   * The route as the proxy uses it, on every proxied request: built once per configuration (routes
   * and keys change only through commitRoutes) and shared, frozen, by the requests that use it.
   */
  route(name: string): Readonly<RuntimeRoute> | undefined {
    let runtime = this.runtime;
    if (runtime === null) {
      runtime = new Map();
      for (const route of this.routes) {
        const channels = route.channels.map((channel) => Object.freeze({ ...channel, apiKey: this.vault.get(channel.id) ?? null }));
        runtime.set(route.name, Object.freeze({ ...route, channels: Object.freeze(channels) as RuntimeChannel[] }));
      }
      this.runtime = runtime;
    }
    return runtime.get(name);
  }

  saveRoute(nameInput: string, input: ProxyRouteInput): ProxyRoute {
    const name = parseInput(routeNameSchema, nameInput, 'route name');
    const parsed = parseInput(proxyRouteInputSchema, input, 'route');
    const previous = this.routes.find((route) => route.name === name);
    const keys = this.heldKeys();
    const channels: StoredChannel[] = parsed.channels.map((channel, index) => {
      if (channel.id !== undefined && !previous?.channels.some((known) => known.id === channel.id)) {
        throw new ApiError('validation_failed', `channel ${index}: route "${name}" has no channel ${channel.id}; leave id out for a new channel`, [
          { index, field: 'id', reason: 'unknown channel id' },
        ]);
      }
      const id = channel.id ?? newId();
      const baseUrl = normalizeBaseUrl(channel.baseUrl);
      const before = previous?.channels.find((known) => known.id === id);
      if (channel.apiKey === null) keys.delete(id);
      else if (channel.apiKey !== undefined) keys.set(id, channel.apiKey);
      // A held key was given for one host: pointing its channel at another one must not send it
      // there, so a move to another origin forgets it unless the edit gives a key again.
      else if (before !== undefined && new URL(before.baseUrl).origin !== new URL(baseUrl).origin) keys.delete(id);
      return { id, baseUrl, label: channel.label?.trim() || null };
    });
    const route: StoredRoute = {
      name,
      protocol: parsed.protocol,
      channels,
      includeUsage: parsed.includeUsage,
      timeoutSeconds: parsed.timeoutSeconds,
      enabled: parsed.enabled,
      ...(parsed.project === undefined ? {} : { project: parsed.project }),
    };
    const routes = previous ? this.routes.map((known) => (known === previous ? route : known)) : [...this.routes, route];
    this.commitRoutes(routes, keys);
    return this.describeRoute(route);
  }

  deleteRoute(nameInput: string): void {
    const name = parseInput(routeNameSchema, nameInput, 'route name');
    if (!this.routes.some((route) => route.name === name)) throw new ApiError('not_found', `no proxy route "${name}"`);
    this.commitRoutes(
      this.routes.filter((route) => route.name !== name),
      this.heldKeys(),
    );
  }

  listWatchers(): Watcher[] {
    return this.watchers.map((watcher) => this.describeWatcher(watcher));
  }

  watcherConfigs(): readonly StoredWatcher[] {
    return this.watchers;
  }

  saveWatcher(idInput: string | undefined, input: WatcherInput): Watcher {
    const id = idInput === undefined ? newId() : parseInput(watcherIdSchema, idInput, 'watcher id');
    if (idInput !== undefined && !this.watchers.some((watcher) => watcher.id === id)) throw new ApiError('not_found', `no watcher ${id}`);
    const parsed = parseInput(watcherInputSchema, input, 'watcher');
    const watcher: StoredWatcher = {
      id,
      kind: parsed.kind,
      baseUrl: normalizeBaseUrl(parsed.baseUrl),
      enabled: parsed.enabled,
      pollSeconds: parsed.pollSeconds,
      model: parsed.model ?? null,
      label: parsed.label?.trim() || null,
    };
    const watchers = idInput === undefined ? [...this.watchers, watcher] : this.watchers.map((known) => (known.id === id ? watcher : known));
    this.ledger.write(() => this.ledger.config.write(WATCHERS_KEY, watchers));
    this.watchers = watchers;
    return this.describeWatcher(watcher);
  }

  deleteWatcher(idInput: string): void {
    const id = parseInput(watcherIdSchema, idInput, 'watcher id');
    if (!this.watchers.some((watcher) => watcher.id === id)) throw new ApiError('not_found', `no watcher ${id}`);
    const watchers = this.watchers.filter((watcher) => watcher.id !== id);
    this.ledger.write(() => this.ledger.config.write(WATCHERS_KEY, watchers));
    this.watchers = watchers;
  }

  /** Keys of channels that still exist, as a new map to edit. */
  private heldKeys(): Map<string, string> {
    const keys = new Map<string, string>();
    for (const route of this.routes) {
      for (const channel of route.channels) {
        const key = this.vault.get(channel.id);
        if (key !== undefined) keys.set(channel.id, key);
      }
    }
    return keys;
  }

  private commitRoutes(routes: StoredRoute[], keys: Map<string, string>): void {
    const live = new Set(routes.flatMap((route) => route.channels.map((channel) => channel.id)));
    for (const id of keys.keys()) if (!live.has(id)) keys.delete(id);
    // Keys first: if the database write then fails, the vault holds a key nobody refers to, which the
    // next save drops; the other order could leave a channel that claims a key the vault lacks.
    // Dropped before the writes: if one fails, the next route() reads what the vault and routes hold.
    this.runtime = null;
    this.vault.replaceAll(keys);
    this.ledger.write(() => this.ledger.config.write(ROUTES_KEY, routes));
    this.routes = routes;
  }

  private describeRoute(route: StoredRoute): ProxyRoute {
    return {
      name: route.name,
      protocol: route.protocol,
      includeUsage: route.includeUsage,
      timeoutSeconds: route.timeoutSeconds,
      enabled: route.enabled,
      path: `/r/${route.name}`,
      ...(route.project === undefined ? {} : { project: route.project }),
      channels: route.channels.map((channel): ProxyChannel => {
        const key = this.vault.get(channel.id);
        return {
          id: channel.id,
          baseUrl: channel.baseUrl,
          label: channel.label,
          hasKey: key !== undefined,
          keyMask: key === undefined ? null : maskKey(key),
          metricsKey: key === undefined ? null : metricsKey(channel.baseUrl, key),
        };
      }),
    };
  }

  private describeWatcher(watcher: StoredWatcher): Watcher {
    return { ...watcher, status: watcher.enabled ? this.watcherStatus(watcher.id) : OFF_STATUS };
  }
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

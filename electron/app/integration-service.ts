import type { ProxyRouteInput, WatcherInput } from '../../shared/schemas/integrations.js';
import type { ProxyRoute, Watcher } from '../../shared/types.js';
import type { IntegrationConfig } from '../sources/integrations/integration-config.js';
import { DomainService, type ServiceContext } from './domain-service.js';

/** Proxy routes and launcher watchers: saved in the integration config, announced to the views. */
export class IntegrationService extends DomainService {
  constructor(context: ServiceContext, readonly integrations: IntegrationConfig) {
    super(context);
  }

  async listRoutes(): Promise<ProxyRoute[]> {
    return this.integrations.listRoutes();
  }

  async saveRoute(input: { name: string; route: ProxyRouteInput }): Promise<ProxyRoute> {
    const route = this.integrations.saveRoute(input.name, input.route);
    this.events.emit({ type: 'routes' });
    return route;
  }

  async deleteRoute(input: { name: string }): Promise<{ name: string }> {
    this.integrations.deleteRoute(input.name);
    this.events.emit({ type: 'routes' });
    return { name: input.name };
  }

  async listWatchers(): Promise<Watcher[]> {
    return this.integrations.listWatchers();
  }

  async saveWatcher(input: { id?: string; watcher: WatcherInput }): Promise<Watcher> {
    const watcher = this.integrations.saveWatcher(input.id, input.watcher);
    this.events.emit({ type: 'watchers' });
    return watcher;
  }

  async deleteWatcher(input: { id: string }): Promise<{ id: string }> {
    this.integrations.deleteWatcher(input.id);
    this.events.emit({ type: 'watchers' });
    return { id: input.id };
  }
}

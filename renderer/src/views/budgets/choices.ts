import type { Circuit, ModelPricing, ProjectInfo, ProxyRoute, Summary } from '../../../../shared/types.js';
import type { ModelMeterClient } from '../../lib/transport/client.js';

/** What the scope picker offers: names seen in the ledger (a budget may still name one not seen yet). */
export interface ScopeChoices {
  models: string[];
  projects: { value: string; label: string }[];
  routes: string[];
  /** metricsKey is a hash: each comes with the label, base URL or key mask it is known by. */
  channels: { metricsKey: string; label: string }[];
}

export const NO_CHOICES: ScopeChoices = { models: [], projects: [], routes: [], channels: [] };

interface Sources {
  summary?: Summary | undefined;
  pricing?: ModelPricing[] | undefined;
  projects?: ProjectInfo[] | undefined;
  routes?: ProxyRoute[] | undefined;
  circuits?: Circuit[] | undefined;
}

/** The picker's lists from whatever answered; a source that failed only leaves its list empty. */
export function choicesOf(sources: Sources): ScopeChoices {
  const models = new Set<string>([...(sources.summary?.models ?? []).map((row) => row.model), ...(sources.pricing ?? []).map((row) => row.model)]);
  const channels = new Map<string, string>();
  for (const circuit of sources.circuits ?? []) {
    channels.set(circuit.metricsKey, circuit.label ?? circuit.baseUrl ?? circuit.keyMask ?? circuit.metricsKey);
  }
  for (const route of sources.routes ?? []) {
    for (const channel of route.channels) {
      if (channel.metricsKey && !channels.has(channel.metricsKey)) channels.set(channel.metricsKey, channel.label ?? channel.baseUrl);
    }
  }
  return {
    models: [...models].sort((a, b) => a.localeCompare(b)),
    projects: (sources.projects ?? []).map((project) => ({ value: project.project, label: project.name })),
    routes: (sources.routes ?? []).map((route) => route.name).sort((a, b) => a.localeCompare(b)),
    channels: [...channels.entries()].map(([metricsKey, label]) => ({ metricsKey, label })).sort((a, b) => a.label.localeCompare(b.label)),
  };
}

export async function loadChoices(client: ModelMeterClient): Promise<ScopeChoices> {
  const [summary, pricing, projects, routes, circuits] = await Promise.allSettled([
    client.call('getSummary', { range: '30d' }),
    client.call('listPricing'),
    client.call('listProjects', { limit: 1_000 }),
    client.call('listRoutes'),
    client.call('listCircuits', {}),
  ]);
  const value = <T>(result: PromiseSettledResult<T>): T | undefined => (result.status === 'fulfilled' ? result.value : undefined);
  return choicesOf({ summary: value(summary), pricing: value(pricing), projects: value(projects), routes: value(routes), circuits: value(circuits) });
}

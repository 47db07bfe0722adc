import type { Circuit, ProxyRoute } from '../../../../shared/types.js';

/** What people call a channel: its label (else its endpoint's host) and the proxy route it serves. */
export interface ChannelName {
  label: string | null;
  route: string | null;
}

/**
 * Names of channels by metricsKey, from what the contract already lists: proxy routes (their
 * channels' labels and the route name) and circuits (labels a gateway reported). A circuit's label
 * wins over a route channel's endpoint host.
 */
export function channelNames(routes: readonly ProxyRoute[], circuits: readonly Circuit[]): Map<string, ChannelName> {
  const names = new Map<string, ChannelName>();
  for (const route of routes) {
    for (const channel of route.channels) {
      if (channel.metricsKey) names.set(channel.metricsKey, { label: channel.label ?? hostOf(channel.baseUrl), route: route.name });
    }
  }
  for (const circuit of circuits) {
    const known = names.get(circuit.metricsKey);
    if (circuit.label || !known) names.set(circuit.metricsKey, { label: circuit.label ?? known?.label ?? null, route: known?.route ?? null });
  }
  return names;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * How each ledger operation travels over HTTP API v1: method, path, query and body. Clients (the
 * browser transport of the renderer, the TypeScript client) build their calls from this one table;
 * a test drives every entry against the real server so the table and the routes cannot drift.
 */
import type { LedgerOperation } from './api.js';
import type { OperationInput } from './bridge.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpCall {
  method: HttpMethod;
  /** Path below the API root, already percent-encoded. */
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
}

export const API_ROOT = '/api/v1';

/** Model names may hold "/" (Hugging Face names): each segment is encoded, the slashes are kept. */
export function modelPath(model: string): string {
  return model.split('/').map(encodeURIComponent).join('/');
}

type RouteTable = { [K in LedgerOperation]: (input: OperationInput<K>) => HttpCall };

const query = (input: object | undefined): Record<string, unknown> => ({ ...(input ?? {}) });

export const HTTP_ROUTES: RouteTable = {
  ingestRequests: (body) => ({ method: 'POST', path: '/requests', body }),
  reportRun: (body) => ({ method: 'POST', path: '/runs', body }),
  putCircuits: (body) => ({ method: 'PUT', path: '/circuits', body }),
  getSummary: (input) => ({ method: 'GET', path: '/summary', query: query(input) }),
  getHistory: (input) => ({ method: 'GET', path: '/history', query: query(input) }),
  listRuns: (input) => ({ method: 'GET', path: '/runs', query: query(input) }),
  listProgramRuns: (input) => ({ method: 'GET', path: '/program-runs', query: query(input) }),
  listRequests: (input) => ({ method: 'GET', path: '/requests', query: query(input) }),
  listProjects: (input) => ({ method: 'GET', path: '/projects', query: query(input) }),
  listCircuits: (input) => ({ method: 'GET', path: '/circuits', query: query(input) }),
  listCircuitEvents: (input) => ({ method: 'GET', path: '/circuits/events', query: query(input) }),
  resetCircuit: ({ metricsKey, apiType }) => ({
    method: 'POST',
    path: `/circuits/${encodeURIComponent(metricsKey)}/reset`,
    query: { apiType },
  }),
  listPricing: () => ({ method: 'GET', path: '/pricing' }),
  getPricing: ({ model }) => ({ method: 'GET', path: `/pricing/${modelPath(model)}` }),
  addPriceVersion: ({ model, version }) => ({ method: 'PUT', path: `/pricing/${modelPath(model)}`, body: version }),
  previewPriceVersion: ({ model, version }) => ({ method: 'POST', path: `/pricing/${modelPath(model)}/preview`, body: version }),
  deletePricing: ({ model, effectiveFrom }) => ({
    method: 'DELETE',
    path: `/pricing/${modelPath(model)}`,
    query: effectiveFrom === undefined ? {} : { effectiveFrom },
  }),
  searchCatalogue: (input) => ({ method: 'GET', path: '/catalogue', query: query(input) }),
  getCatalogueStatus: () => ({ method: 'GET', path: '/catalogue/status' }),
  checkCatalogueUpdate: () => ({ method: 'POST', path: '/catalogue/update-check' }),
  applyCatalogueUpdate: (body) => ({ method: 'POST', path: '/catalogue/update', body }),
  resetCatalogue: () => ({ method: 'DELETE', path: '/catalogue/update' }),
  previewCatalogueReprice: () => ({ method: 'POST', path: '/catalogue/reprice/preview' }),
  repriceCatalogue: () => ({ method: 'POST', path: '/catalogue/reprice' }),
  deleteModel: ({ model }) => ({ method: 'DELETE', path: `/models/${modelPath(model)}` }),
  deleteChannels: (body) => ({ method: 'POST', path: '/channels/delete', body }),
  cleanup: (body) => ({ method: 'POST', path: '/maintenance/cleanup', body }),
  previewCleanup: (body) => ({ method: 'POST', path: '/maintenance/cleanup/preview', body }),
  getStorageInfo: () => ({ method: 'GET', path: '/storage' }),
  getSettings: () => ({ method: 'GET', path: '/settings' }),
  updateSettings: (body) => ({ method: 'PATCH', path: '/settings', body }),
  listSavingsReferences: () => ({ method: 'GET', path: '/savings/references' }),
  setSavingsReference: ({ model, reference }) =>
    reference === null
      ? { method: 'DELETE', path: `/savings/references/${modelPath(model)}` }
      : { method: 'PUT', path: `/savings/references/${modelPath(model)}`, body: { reference } },
  listRoutes: () => ({ method: 'GET', path: '/routes' }),
  saveRoute: ({ name, route }) => ({ method: 'PUT', path: `/routes/${encodeURIComponent(name)}`, body: route }),
  deleteRoute: ({ name }) => ({ method: 'DELETE', path: `/routes/${encodeURIComponent(name)}` }),
  listWatchers: () => ({ method: 'GET', path: '/watchers' }),
  saveWatcher: ({ id, watcher }) =>
    id === undefined ? { method: 'POST', path: '/watchers', body: watcher } : { method: 'PUT', path: `/watchers/${encodeURIComponent(id)}`, body: watcher },
  deleteWatcher: ({ id }) => ({ method: 'DELETE', path: `/watchers/${encodeURIComponent(id)}` }),
  importDatabase: (body) => ({ method: 'POST', path: '/import', body }),
  listBudgets: () => ({ method: 'GET', path: '/budgets' }),
  saveBudget: ({ id, budget }) => ({ method: 'PUT', path: `/budgets/${encodeURIComponent(id)}`, body: budget }),
  deleteBudget: ({ id }) => ({ method: 'DELETE', path: `/budgets/${encodeURIComponent(id)}` }),
  listBudgetAlerts: (input) => ({ method: 'GET', path: '/budgets/alerts', query: query(input) }),
  getForecast: () => ({ method: 'GET', path: '/forecast' }),
  listAgentSources: () => ({ method: 'GET', path: '/agents' }),
  previewAgentSource: ({ id }) => ({ method: 'GET', path: `/agents/${encodeURIComponent(id)}/preview` }),
  setAgentSource: ({ id, enabled }) => ({ method: 'PUT', path: `/agents/${encodeURIComponent(id)}`, body: { enabled } }),
  ingestForwarded: (body) => ({ method: 'POST', path: '/forward', body }),
  getForwarding: () => ({ method: 'GET', path: '/forwarding' }),
  setForwarding: (body) => ({ method: 'PUT', path: '/forwarding', body }),
  listHosts: () => ({ method: 'GET', path: '/hosts' }),
};

/** The host facts of the headless server (the desktop answers the same over IPC). */
export const APP_INFO_PATH = '/app';

/** Query values as the server's schemas read them: arrays and objects never appear in queries. */
export function toSearchParams(query: Record<string, unknown> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

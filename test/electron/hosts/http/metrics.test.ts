import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { Budget, Summary } from '../../../../shared/types.js';
import { startCore, type RunningCore } from '../../../../electron/hosts/core/start-core.js';
import { tempDir, HOUR } from './helpers.js';

/** A Prometheus text-format family as parse-prometheus-text-format answers it. */
interface Family {
  name: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const ALL_TIME = '/api/v1/summary?from=0&to=7258118400000';
const KEY_A = '0123456789abcdef';
const KEY_B = 'fedcba9876543210';
const T0 = Date.UTC(2026, 0, 5, 9);

interface Instance {
  core: RunningCore;
  call(method: string, route: string, options?: { json?: unknown; authorization?: string | null }): Promise<{ status: number; headers: Headers; text: string; json: unknown }>;
  ok<T>(method: string, route: string, json?: unknown): Promise<T>;
}

const dirs: string[] = [];
const running: RunningCore[] = [];
afterEach(async () => {
  for (const core of running.splice(0)) await core.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, token: string): Promise<Instance> {
  const core = await startCore({ dataDir, port: 0, token, reads: 'inline' });
  running.push(core);
  const call: Instance['call'] = async (method, route, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.authorization !== null) headers['authorization'] = options.authorization ?? `Bearer ${token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${core.url}${route}`, { method, headers, ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }) });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('application/json') && text ? (JSON.parse(text) as unknown) : null;
    return { status: response.status, headers: response.headers, text, json };
  };
  const ok = async <T>(method: string, route: string, json?: unknown): Promise<T> => {
    const answer = await call(method, route, json === undefined ? {} : { json });
    if (answer.status !== 200) throw new Error(`${method} ${route} answered ${answer.status}: ${answer.text}`);
    return answer.json as T;
  };
  return { core, call, ok };
}

async function fresh(): Promise<{ instance: Instance; dataDir: string; token: string }> {
  const dataDir = tempDir('modelmeter-metrics-');
  dirs.push(dataDir);
  const token = randomBytes(18).toString('base64url');
  return { instance: await start(dataDir, token), dataDir, token };
}

/** Records over three models in two currencies, failures and cache tokens; one closed run. */
async function fill(instance: Instance): Promise<void> {
  await instance.ok('PUT', '/api/v1/pricing/alpha', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.25 }] });
  await instance.ok('PUT', '/api/v1/pricing/beta', { method: 'tokens', currency: 'CNY', tiers: [{ maxPromptTokens: null, input: 3, output: 6 }] });
  const requests = [];
  for (let i = 0; i < 12; i++) {
    requests.push({ ts: T0 + i * 1000, model: 'alpha', provider: 'openai', inputTokens: 1000 + i, outputTokens: 200 + i, cacheReadTokens: 50 * i, cacheWriteTokens: i % 3 === 0 ? 70 : 0, success: i % 5 !== 4, latencyMs: 300 + i });
  }
  for (let i = 0; i < 7; i++) requests.push({ ts: T0 + i * 2000, model: 'beta', inputTokens: 4000 + i, outputTokens: 900, success: i !== 2 });
  for (let i = 0; i < 3; i++) requests.push({ ts: T0 + i * 3000, model: 'gamma', inputTokens: 10, outputTokens: 1 });
  await instance.ok('POST', '/api/v1/requests', requests);
  await instance.ok('POST', '/api/v1/runs', { model: 'gamma', event: 'start', ts: T0 });
  await instance.ok('POST', '/api/v1/runs', { model: 'gamma', event: 'stop', ts: T0 + 2 * HOUR });
  await instance.ok('PUT', '/api/v1/circuits', [
    { metricsKey: KEY_A, apiType: 'openai', state: 'open', label: 'primary' },
    { metricsKey: KEY_B, apiType: 'anthropic', state: 'half_open' },
  ]);
}

async function scrape(instance: Instance): Promise<Map<string, Family>> {
  const answer = await instance.call('GET', '/metrics');
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return new Map(parsePrometheus(answer.text).map((family) => [family.name, family]));
}

/** The value of the one sample with exactly these labels (0 when there is none, as Prometheus reads it). */
function value(families: Map<string, Family>, name: string, labels: Record<string, string>): number {
  const family = families.get(name);
  expect(family, `${name} is exposed`).toBeDefined();
  const found = family!.metrics.filter((sample) => JSON.stringify(Object.entries(sample.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()));
  expect(found.length, `${name}${JSON.stringify(labels)} appears at most once`).toBeLessThanOrEqual(1);
  return found.length ? Number(found[0]!.value) : 0;
}

/** Every per-model figure of the summary equals the exposed one; the sample counts match too. */
function expectEqualsSummary(families: Map<string, Family>, summary: Summary): void {
  for (const model of summary.models) {
    const label = { gen_ai_request_model: model.model };
    expect(value(families, 'modelmeter_requests_total', { ...label, outcome: 'success' })).toBe(model.requests - model.failures);
    expect(value(families, 'modelmeter_requests_total', { ...label, outcome: 'failure' })).toBe(model.failures);
    expect(value(families, 'modelmeter_tokens_total', { ...label, gen_ai_token_type: 'input' })).toBe(model.inputTokens);
    expect(value(families, 'modelmeter_tokens_total', { ...label, gen_ai_token_type: 'output' })).toBe(model.outputTokens);
    expect(value(families, 'modelmeter_tokens_total', { ...label, gen_ai_token_type: 'cache_read' })).toBe(model.cacheReadTokens);
    expect(value(families, 'modelmeter_tokens_total', { ...label, gen_ai_token_type: 'cache_write' })).toBe(model.cacheWriteTokens);
    for (const [currency, amount] of Object.entries(model.cost ?? {})) {
      expect(value(families, 'modelmeter_cost_total', { ...label, currency })).toBeCloseTo(amount, 9);
    }
    expect(value(families, 'modelmeter_runtime_seconds_total', label)).toBeCloseTo(model.runtimeSeconds, 6);
    expect(value(families, 'modelmeter_model_running', label)).toBe(model.running ? 1 : 0);
  }
  expect(families.get('modelmeter_requests_total')!.metrics).toHaveLength(summary.models.length * 2);
  expect(families.get('modelmeter_tokens_total')!.metrics).toHaveLength(summary.models.length * 4);
  const costs = summary.models.reduce((n, model) => n + Object.keys(model.cost ?? {}).length, 0);
  expect(families.get('modelmeter_cost_total')!.metrics).toHaveLength(costs);
  const sum = (name: string) => families.get(name)!.metrics.reduce((total, sample) => total + Number(sample.value), 0);
  expect(sum('modelmeter_requests_total')).toBe(summary.totals.requests);
  expect(sum('modelmeter_tokens_total')).toBe(summary.totals.inputTokens + summary.totals.outputTokens + summary.totals.cacheReadTokens + summary.totals.cacheWriteTokens);
}

describe('GET /metrics (Prometheus)', () => {
  it('exposes the ledger\'s all-time figures, equal to the all-time summary, and keeps them across a restart', async () => {
    const { instance, dataDir, token } = await fresh();
    await fill(instance);
    const summary = await instance.ok<Summary>('GET', ALL_TIME);
    expect(summary.totals.requests).toBe(22);
    expect(Object.keys(summary.totals.cost).sort()).toEqual(['CNY', 'USD']);
    const families = await scrape(instance);
    expectEqualsSummary(families, summary);
    expect(value(families, 'modelmeter_runtime_seconds_total', { gen_ai_request_model: 'gamma' })).toBe(7200);
    expect(value(families, 'modelmeter_circuit_state', { metrics_key: KEY_A, api_type: 'openai', channel_label: 'primary' })).toBe(2);
    expect(value(families, 'modelmeter_circuit_state', { metrics_key: KEY_B, api_type: 'anthropic', channel_label: '' })).toBe(1);
    expect(families.get('modelmeter_requests_total')!.type).toBe('COUNTER');
    expect(families.get('modelmeter_circuit_state')!.type).toBe('GAUGE');

    // A restart reads the same ledger: the counters carry on where they were, then grow.
    await instance.core.close();
    const again = await start(dataDir, token);
    expectEqualsSummary(await scrape(again), summary);
    await again.ok('POST', '/api/v1/requests', { model: 'alpha', inputTokens: 5, outputTokens: 5 });
    const grown = await again.ok<Summary>('GET', ALL_TIME);
    const after = await scrape(again);
    expectEqualsSummary(after, grown);
    expect(value(after, 'modelmeter_tokens_total', { gen_ai_request_model: 'alpha', gen_ai_token_type: 'input' })).toBe(
      summary.models.find((m) => m.model === 'alpha')!.inputTokens + 5,
    );
  });

  it('keeps the top models by requests and sums the rest as "other"', async () => {
    const { instance } = await fresh();
    await fill(instance);
    await instance.ok('PATCH', '/api/v1/settings', { metricsMaxModels: 1 });
    const summary = await instance.ok<Summary>('GET', ALL_TIME);
    const families = await scrape(instance);
    const models = new Set(families.get('modelmeter_tokens_total')!.metrics.map((sample) => sample.labels!['gen_ai_request_model']));
    expect([...models].sort()).toEqual(['alpha', 'other']);
    const rest = summary.models.filter((model) => model.model !== 'alpha');
    const total = (pick: (model: Summary['models'][number]) => number) => rest.reduce((sum, model) => sum + pick(model), 0);
    expect(value(families, 'modelmeter_requests_total', { gen_ai_request_model: 'other', outcome: 'success' })).toBe(total((m) => m.requests - m.failures));
    expect(value(families, 'modelmeter_tokens_total', { gen_ai_request_model: 'other', gen_ai_token_type: 'input' })).toBe(total((m) => m.inputTokens));
    expect(value(families, 'modelmeter_runtime_seconds_total', { gen_ai_request_model: 'other' })).toBe(total((m) => m.runtimeSeconds));
    expect(value(families, 'modelmeter_cost_total', { gen_ai_request_model: 'other', currency: 'CNY' })).toBeCloseTo(total((m) => m.cost?.['CNY'] ?? 0), 9);
    const alpha = summary.models.find((model) => model.model === 'alpha')!;
    expect(value(families, 'modelmeter_requests_total', { gen_ai_request_model: 'alpha', outcome: 'failure' })).toBe(alpha.failures);

    const refused = await instance.call('PATCH', '/api/v1/settings', { json: { metricsMaxModels: 0 } });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('metricsMaxModels');
  });

  it('exposes each enabled budget\'s spent ratio', async () => {
    const { instance } = await fresh();
    await instance.ok('PUT', '/api/v1/pricing/alpha', { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] });
    await instance.ok('POST', '/api/v1/requests', { model: 'alpha', inputTokens: 2_500_000 });
    await instance.ok('PUT', '/api/v1/budgets/team', { name: 'Team', amount: 10, currency: 'USD', period: 'month', scope: { kind: 'all' } });
    const budgets = await instance.ok<Budget[]>('GET', '/api/v1/budgets');
    const families = await scrape(instance);
    const ratio = value(families, 'modelmeter_budget_spent_ratio', { budget_id: 'team', budget_name: 'Team', currency: 'USD', period: 'month' });
    expect(ratio).toBeCloseTo(budgets[0]!.status.spent / 10, 9);
    expect(ratio).toBeCloseTo(0.25, 9);
  });

  it('refuses a scrape without the token unless anonymous loopback scrapes are allowed', async () => {
    const { instance } = await fresh();
    const none = await instance.call('GET', '/metrics', { authorization: null });
    expect(none.status).toBe(401);
    expect((none.json as { error: { code: string } }).error.code).toBe('unauthorized');
    const wrong = await instance.call('GET', '/metrics', { authorization: 'Bearer not-the-token-000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    await instance.ok('PATCH', '/api/v1/settings', { metricsAllowAnonymousLoopback: true });
    const anonymous = await instance.call('GET', '/metrics', { authorization: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.text).toContain('# TYPE modelmeter_requests_total counter');
    // The API itself still wants the token.
    expect((await instance.call('GET', ALL_TIME, { authorization: null })).status).toBe(401);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetAlert, LedgerEvent } from '../../../shared/types.js';
import { LedgerService } from '../../../electron/app/ledger-service.js';
import { Harness } from '../ledger/store/harness.js';
import { useTimeZone } from '../ledger/time/tz.js';
import { budgetInput as budget, closeBudgetHarness } from './budget-support.js';

const at = (iso: string) => Date.parse(iso);
const M = 1_000_000;
const NOW = at('2026-03-20T12:00:00Z');

/** A loopback receiver that answers `statuses` in turn (then 200), recording every body. */
async function receiver(statuses: number[]): Promise<{ url: string; bodies: string[]; answered: number[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const answered: number[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      const status = statuses[answered.length] ?? 200;
      answered.push(status);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    answered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let harness: Harness | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  if (!harness) return;
  await closeBudgetHarness(harness);
  harness = null;
});

async function open(): Promise<Harness> {
  harness = new Harness(NOW);
  await harness.service.addPriceVersion({ model: 'gpt-x', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] } });
  return harness;
}

/** `units` USD of gpt-x now. */
const spend = (h: Harness, units: number) => h.service.ingestRequests({ model: 'gpt-x', ts: h.now - 1000, inputTokens: units * M, outputTokens: 0 });
const thresholds = (alerts: BudgetAlert[]) => alerts.map((a) => a.threshold);

describe('budget alerts', () => {
  useTimeZone('UTC');

  it('go out once per threshold and period, also after a restart, and again in the next period', async () => {
    const h = await open();
    await h.service.saveBudget({ id: 'b', budget: budget() });
    const events: LedgerEvent[] = [];
    h.service.events.subscribe((event) => events.push(event));
    const alerter = () => h.service.budgets.alerter;

    await spend(h, 4);
    expect(await alerter().evaluate()).toEqual([]);
    await spend(h, 1.5);
    expect(thresholds(await alerter().evaluate())).toEqual([50]);
    expect(await alerter().evaluate()).toEqual([]);
    await spend(h, 3.5); // 9 → 90 %
    const sent = await alerter().evaluate();
    expect(sent).toMatchObject([{ budgetId: 'b', budgetName: 'Cloud month', threshold: 80, periodStart: at('2026-03-01T00:00:00Z'), currency: 'USD', webhook: { state: 'none' } }]);
    expect(sent[0]!.spent).toBeCloseTo(9, 9);
    expect(events.filter((e) => e.type === 'budget-alert').map((e) => (e as { alert: BudgetAlert }).alert.threshold)).toEqual([50, 80]);
    expect((await h.service.listBudgets())[0]!.status.crossed).toEqual([50, 80]);

    // A restart: a new service on the same database sends nothing again.
    await alerter().stop();
    h.reopen();
    expect(await alerter().evaluate()).toEqual([]);
    expect(thresholds(await h.service.listBudgetAlerts({ budgetId: 'b' }))).toEqual([80, 50]);

    // Next month: the same thresholds again, once.
    h.now = at('2026-04-02T00:00:00Z');
    await spend(h, 6);
    expect(thresholds(await alerter().evaluate())).toEqual([50]);
    expect(await alerter().evaluate()).toEqual([]);
    expect(await h.service.listBudgetAlerts({ limit: 1 })).toHaveLength(1);
  });

  it('a re-pricing that pushes spend past a threshold sends it; one that lowers it sends nothing and forgets nothing', async () => {
    const h = await open();
    await h.service.saveBudget({ id: 'b', budget: budget({ thresholds: [50, 100] }) });
    await spend(h, 6);
    expect(thresholds(await h.service.budgets.alerter.evaluate())).toEqual([50]);
    // A price twice as high from the start of the month re-prices the stored requests: 12 USD.
    await h.service.addPriceVersion({ model: 'gpt-x', version: { method: 'tokens', currency: 'USD', effectiveFrom: at('2026-03-01T00:00:00Z'), tiers: [{ maxPromptTokens: null, input: 2, output: 0 }] } });
    expect((await h.service.listBudgets())[0]!.status.spent).toBeCloseTo(12, 9);
    expect(thresholds(await h.service.budgets.alerter.evaluate())).toEqual([100]);
    // Back down: nothing is sent, the sent thresholds still count as crossed this period.
    await h.service.deletePricing({ model: 'gpt-x', effectiveFrom: at('2026-03-01T00:00:00Z') });
    expect(await h.service.budgets.alerter.evaluate()).toEqual([]);
    const status = (await h.service.listBudgets())[0]!.status;
    expect(status.spent).toBeCloseTo(6, 9);
    expect(status.crossed).toEqual([50, 100]);
  });

  it('are evaluated after ingest, debounced, without being asked', async () => {
    const h = new Harness(NOW);
    harness = h;
    await h.service.addPriceVersion({ model: 'gpt-x', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] } });
    // A service with a short debounce, on the same ledger.
    const service = new LedgerService(h.ledger, { budgets: { alerts: { debounceMs: 20, intervalMs: 0 } } });
    cleanups.push(() => service.budgets.alerter.stop());
    await service.saveBudget({ id: 'b', budget: budget() });
    service.budgets.alerter.start();
    const alert = new Promise<BudgetAlert>((resolve) => service.events.subscribe((e) => e.type === 'budget-alert' && resolve(e.alert)));
    for (let i = 0; i < 5; i++) await service.ingestRequests({ model: 'gpt-x', ts: NOW - 1000, inputTokens: 1.2 * M, outputTokens: 0 });
    expect((await alert).threshold).toBe(50);
    expect(thresholds(await service.listBudgetAlerts({}))).toEqual([50]);
  });

  it('skip disabled budgets', async () => {
    const h = await open();
    await h.service.saveBudget({ id: 'b', budget: budget({ enabled: false }) });
    await spend(h, 20);
    expect(await h.service.budgets.alerter.evaluate()).toEqual([]);
  });
});

describe('budget webhooks', () => {
  useTimeZone('UTC');

  it('are retried with backoff against a receiver that fails twice: delivered exactly once, attempts recorded', async () => {
    const hook = await receiver([500, 503]);
    cleanups.push(hook.close);
    const h = await open();
    await h.service.saveBudget({ id: 'b', budget: budget({ thresholds: [100], webhook: { url: hook.url } }) });
    await spend(h, 11);
    const outbox = h.service.budgets.outbox;
    const [alert] = await h.service.budgets.alerter.evaluate();
    await outbox.drain();
    expect(hook.answered).toEqual([500]);
    expect((await h.service.listBudgetAlerts({}))[0]!.webhook).toEqual({ state: 'pending', attempts: 1, lastError: 'HTTP 500', deliveredAt: null });
    await outbox.drain(); // not due yet: 10 s later
    expect(hook.answered).toHaveLength(1);
    h.now += 10_000;
    await outbox.drain();
    expect(hook.answered).toEqual([500, 503]);
    h.now += 19_999; // the second retry waits 20 s
    await outbox.drain();
    expect(hook.answered).toHaveLength(2);
    h.now += 1;
    await outbox.drain();
    expect(hook.answered).toEqual([500, 503, 200]);
    expect((await h.service.listBudgetAlerts({}))[0]!.webhook).toEqual({ state: 'delivered', attempts: 3, lastError: null, deliveredAt: h.now });

    const body = JSON.parse(hook.bodies[2]!) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'budget-alert',
      alertId: alert!.id,
      budget: { id: 'b', name: 'Cloud month', amount: 10, currency: 'USD', period: 'month', scope: { kind: 'all' } },
      threshold: 100,
      periodStart: '2026-03-01T00:00:00.000Z',
      periodEnd: '2026-04-01T00:00:00.000Z',
      currency: 'USD',
    });
    expect(body['spent']).toBeCloseTo(11, 9);
    expect(hook.bodies.every((b) => b === hook.bodies[0])).toBe(true);

    // A restart delivers nothing again.
    await h.service.budgets.alerter.stop();
    h.reopen();
    h.now += 3_600_000;
    await h.service.budgets.alerter.evaluate();
    await h.service.budgets.outbox.drain();
    expect(hook.answered).toHaveLength(3);
  });

  it('a pending delivery survives a restart; Slack and Discord get their own shapes', async () => {
    const slack = await receiver([500]);
    const discord = await receiver([]);
    cleanups.push(slack.close, discord.close);
    const h = await open();
    await h.service.saveBudget({ id: 's', budget: budget({ name: 'Slack', thresholds: [100], webhook: { url: slack.url, format: 'slack' } }) });
    await h.service.saveBudget({ id: 'd', budget: budget({ name: 'Discord', thresholds: [100], webhook: { url: discord.url, format: 'discord' } }) });
    await spend(h, 12);
    await h.service.budgets.alerter.evaluate();
    await h.service.budgets.outbox.drain();
    expect(slack.answered).toEqual([500]);
    expect(discord.answered).toEqual([200]);
    expect(JSON.parse(discord.bodies[0]!)).toEqual({ content: expect.stringMatching(/^Budget "Discord" passed 100%: spent 12\.00 USD of 10\.00 USD this month, forecast [\d.]+ USD/) });

    await h.service.budgets.alerter.stop();
    h.reopen();
    h.now += 10_000;
    await h.service.budgets.outbox.drain();
    expect(slack.answered).toEqual([500, 200]);
    expect(JSON.parse(slack.bodies[1]!)).toEqual({ text: expect.stringContaining('Budget "Slack" passed 100%') });
    expect((await h.service.listBudgetAlerts({ budgetId: 's' }))[0]!.webhook).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('give up after the last attempt (state failed) and record a refused connection', async () => {
    const h = new Harness(NOW);
    harness = h;
    await h.service.addPriceVersion({ model: 'gpt-x', version: { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 0 }] } });
    const service = new LedgerService(h.ledger, { budgets: { webhooks: { maxAttempts: 2, baseDelayMs: 1000 } } });
    cleanups.push(() => service.budgets.alerter.stop());
    const closed = await receiver([]);
    await closed.close(); // nothing listens there any more
    await service.saveBudget({ id: 'b', budget: budget({ thresholds: [100], webhook: { url: closed.url } }) });
    await spend(h, 12);
    await service.budgets.alerter.evaluate();
    await service.budgets.outbox.drain();
    h.now += 1000;
    await service.budgets.outbox.drain();
    const [alert] = await service.listBudgetAlerts({});
    expect(alert!.webhook.state).toBe('failed');
    expect(alert!.webhook.attempts).toBe(2);
    expect(alert!.webhook.lastError).toMatch(/fetch failed.*ECONNREFUSED/);
  });
});

import { screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { tick } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { PriceVersionInput } from '../../../../shared/schemas/pricing.js';
import type { PricingChange } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import PriceEditor from '../../../../renderer/src/views/pricing/PriceEditor.svelte';
import { makeFakeClient, renderWithClient, type FakeClient } from '../../support/fake-client.js';
import { installDialog, previewOf, tokenVersion } from './support.js';
import { pending, progressBar, progressText } from '../../support/pending.js';

const MODEL = 'gpt-5-mini';

function changeOf(repricedRequests: number): PricingChange {
  return { pricing: { model: MODEL, versions: [tokenVersion(MODEL, 0, null, 1, 2)] }, repricedRequests, notRepriced: 0 };
}

function setup(client: FakeClient = makeFakeClient()) {
  renderWithClient(client, PriceEditor, { model: MODEL, versions: [] });
  return { client, user: userEvent.setup() };
}

const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('the price editor', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('says a first version without a date applies from the beginning of history', () => {
    setup();
    expect(screen.getByText('Empty: from the beginning of history (this is the first version).')).toBeTruthy();
  });

  it('shows an empty input price as required and sends nothing', async () => {
    const { client, user } = setup();
    await user.type(field('Tier 1: output price per 1M tokens'), '2');
    await user.click(screen.getByRole('button', { name: 'Preview' }));

    const input = field('Tier 1: input price per 1M tokens');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toBe('Required');
    expect(field('Tier 1: output price per 1M tokens').getAttribute('aria-invalid')).toBeNull();
    expect(client.callsOf('previewPriceVersion')).toHaveLength(0);
  });

  it('refuses a currency that is not three capital letters', async () => {
    const { client, user } = setup();
    const currency = screen.getByTestId('pricing-currency') as HTMLInputElement;
    await user.clear(currency);
    await user.type(currency, 'u$d');
    await user.type(field('Tier 1: input price per 1M tokens'), '1');
    await user.type(field('Tier 1: output price per 1M tokens'), '2');
    await user.click(screen.getByRole('button', { name: 'Preview' }));

    expect(currency.value).toBe('U$D');
    expect(currency.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Three capital letters, such as USD or CNY')).toBeTruthy();
    expect(client.callsOf('previewPriceVersion')).toHaveLength(0);
  });

  it('marks a tier whose limit is not above the one before, and sorts on request', async () => {
    const { client, user } = setup();
    await user.type(field('Tier 1: up to prompt tokens (empty for no limit)'), '200000');
    await user.click(screen.getByRole('button', { name: 'Add tier' }));
    await user.type(field('Tier 2: up to prompt tokens (empty for no limit)'), '32000');
    for (const n of [1, 2]) {
      await user.type(field(`Tier ${n}: input price per 1M tokens`), String(n));
      await user.type(field(`Tier ${n}: output price per 1M tokens`), String(n * 4));
    }
    await user.click(screen.getByRole('button', { name: 'Preview' }));

    expect(screen.getByText('Tiers go in ascending order: must be more than 200000')).toBeTruthy();
    expect(field('Tier 2: up to prompt tokens (empty for no limit)').getAttribute('aria-invalid')).toBe('true');
    expect(client.callsOf('previewPriceVersion')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Sort tiers' }));
    expect(field('Tier 1: up to prompt tokens (empty for no limit)').value).toBe('32000');
    expect(field('Tier 1: input price per 1M tokens').value).toBe('2');
    expect(screen.queryByText(/Tiers go in ascending order/)).toBeNull();
  });

  it('enables Apply only after a preview of what is in the form, and confirms before re-pricing', async () => {
    const client = makeFakeClient({
      previewPriceVersion: async ({ model }) => previewOf(model, 42, { USD: 1.5 }, { USD: 3.25 }, 7),
      addPriceVersion: async () => changeOf(42),
    });
    const { user } = setup(client);
    const apply = screen.getByTestId('pricing-apply') as HTMLButtonElement;
    await user.type(field('Tier 1: input price per 1M tokens'), '1');
    await user.type(field('Tier 1: output price per 1M tokens'), '2');
    expect(apply.disabled).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Preview' }));
    const preview = await screen.findByTestId('pricing-preview');
    expect(preview.textContent).toContain('42 requests are re-priced.');
    const cost = screen.getByTestId('pricing-preview-cost');
    expect(cost.textContent).toContain('$1.50');
    expect(cost.textContent).toContain('$3.25');
    expect(screen.getByTestId('pricing-preview-unpriced').textContent).toBe('Unpriced requests: 42 → 0');
    expect(screen.getByTestId('pricing-preview-not-repriced').textContent).toContain('7 requests');
    expect(apply.disabled).toBe(false);

    // A change after the preview needs a new one.
    await user.type(field('Tier 1: output price per 1M tokens'), '5');
    expect(apply.disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    await waitFor(() => expect(apply.disabled).toBe(false));

    await user.click(apply);
    expect(screen.getByTestId('pricing-apply-confirm').textContent).toContain('re-prices 42 stored requests of gpt-5-mini');
    expect(client.callsOf('addPriceVersion')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Apply and re-price' }));
    await screen.findByTestId('pricing-applied');
    const expected: PriceVersionInput = { method: 'tokens', currency: 'USD', tiers: [{ maxPromptTokens: null, input: 1, output: 25 }] };
    expect(client.callsOf('previewPriceVersion').at(-1)).toEqual({ model: MODEL, version: expected });
    expect(client.callsOf('addPriceVersion')).toEqual([{ model: MODEL, version: expected }]);
    expect(screen.getByTestId('pricing-applied').textContent).toContain('Saved. 42 requests were re-priced.');
  });

  it('sends an hourly price as method, currency and hourly only', async () => {
    const client = makeFakeClient({
      previewPriceVersion: async ({ model }) => previewOf(model, 0, {}, {}),
      addPriceVersion: async () => changeOf(0),
    });
    const { user } = setup(client);
    await user.click(screen.getByLabelText('Per hour'));
    const currency = screen.getByTestId('pricing-currency');
    await user.clear(currency);
    await user.type(currency, 'cny');
    await user.type(screen.getByLabelText('Price per hour of runtime (CNY)'), '3.5');
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    await screen.findByTestId('pricing-preview');
    // Nothing to re-price: applying needs no question.
    await user.click(screen.getByTestId('pricing-apply'));
    await screen.findByTestId('pricing-applied');

    const expected = { model: MODEL, version: { method: 'hourly', currency: 'CNY', hourly: 3.5 } };
    expect(client.callsOf('previewPriceVersion')).toEqual([expected]);
    expect(client.callsOf('addPriceVersion')).toEqual([expected]);
  });

  it('says an hourly version re-prices runtime, not "0 requests re-priced"', async () => {
    const hourlyPreview = (model: string) => ({ ...previewOf(model, 0, {}, {}), version: { model, effectiveFrom: 0, effectiveTo: null, currency: 'CNY', method: 'hourly' as const, tiers: null, hourly: 3.5 } });
    const client = makeFakeClient({ previewPriceVersion: async ({ model }) => hourlyPreview(model), addPriceVersion: async () => changeOf(0) });
    const { user } = setup(client);
    await user.click(screen.getByLabelText('Per hour'));
    await user.type(screen.getByLabelText('Price per hour of runtime (USD)'), '3.5');
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    const affected = await screen.findByTestId('pricing-preview-affected');
    expect(affected.textContent).toContain('runtime in this window is re-priced at the hourly rate');
    expect(affected.textContent).not.toContain('0 requests');
    await user.click(screen.getByTestId('pricing-apply'));
    expect((await screen.findByTestId('pricing-applied')).textContent).toContain('Saved. The model’s runtime is re-priced at the hourly rate.');
  });

  it('shows the server’s validation details next to the fields they name', async () => {
    const client = makeFakeClient({
      previewPriceVersion: async () => {
        throw new ApiError('validation_failed', 'invalid price version', [{ field: 'tiers.0.output', reason: 'output price is out of range' }]);
      },
    });
    const { user } = setup(client);
    await user.type(field('Tier 1: input price per 1M tokens'), '1');
    await user.type(field('Tier 1: output price per 1M tokens'), '2');
    await user.click(screen.getByRole('button', { name: 'Preview' }));

    const output = field('Tier 1: output price per 1M tokens');
    await waitFor(() => expect(output.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(output.getAttribute('aria-describedby')!)?.textContent).toBe('output price is out of range');
    expect((screen.getByTestId('pricing-apply') as HTMLButtonElement).disabled).toBe(true);
  });

  describe('progress of a long re-pricing', () => {
    async function fillAndPreview(user: ReturnType<typeof userEvent.setup>) {
      await user.type(field('Tier 1: input price per 1M tokens'), '1');
      await user.type(field('Tier 1: output price per 1M tokens'), '2');
      await user.click(screen.getByRole('button', { name: 'Preview' }));
    }

    it('shows how far the re-pricing of this model has come in the question while it applies, then goes', async () => {
      const adding = pending<PricingChange>();
      const client = makeFakeClient({ previewPriceVersion: async ({ model }) => previewOf(model, 42, { USD: 1 }, { USD: 2 }), addPriceVersion: adding.call });
      const { user } = setup(client);
      await fillAndPreview(user);
      await screen.findByTestId('pricing-preview');
      await user.click(screen.getByTestId('pricing-apply'));
      await user.click(screen.getByRole('button', { name: 'Apply and re-price' }));

      const line = screen.getByTestId('pricing-apply-progress');
      expect(line.closest('dialog')?.open).toBe(true);
      expect(progressText('pricing-apply-progress')).toBe('Re-pricing gpt-5-mini…');
      expect(progressBar('pricing-apply-progress').hasAttribute('value')).toBe(false);

      client.emit({ type: 'progress', progress: { task: 'reprice', model: MODEL, done: 9, total: 20 } });
      await waitFor(() => expect(progressText('pricing-apply-progress')).toBe('Re-pricing gpt-5-mini… 45%'));
      expect([progressBar('pricing-apply-progress').value, progressBar('pricing-apply-progress').max]).toEqual([9, 20]);

      // Another model's re-pricing, or a preview of this one elsewhere, is not this apply's.
      client.emit({ type: 'progress', progress: { task: 'reprice', model: 'claude-sonnet-4.5', done: 19, total: 20 } });
      client.emit({ type: 'progress', progress: { task: 'reprice-preview', model: MODEL, done: 18, total: 20 } });
      await tick();
      expect(progressText('pricing-apply-progress')).toBe('Re-pricing gpt-5-mini… 45%');

      adding.answer(changeOf(42));
      await screen.findByTestId('pricing-applied');
      expect(screen.queryByTestId('pricing-apply-progress')).toBeNull();
    });

    it('shows the preview’s progress under the buttons while it runs, in Chinese too', async () => {
      i18n.choice = 'zh-CN';
      const previewing = pending<ReturnType<typeof previewOf>>();
      const client = makeFakeClient({ previewPriceVersion: previewing.call });
      const { user } = setup(client);
      await user.type(screen.getByLabelText('第 1 档：每 100 万 Token 输入价'), '1');
      await user.type(screen.getByLabelText('第 1 档：每 100 万 Token 输出价'), '2');
      await user.click(screen.getByTestId('pricing-preview-button'));

      expect(progressText('pricing-preview-progress')).toBe('正在预览 gpt-5-mini…');
      client.emit({ type: 'progress', progress: { task: 'reprice', model: MODEL, done: 1, total: 4 } });
      client.emit({ type: 'progress', progress: { task: 'reprice-preview', model: MODEL, done: 3, total: 4 } });
      await waitFor(() => expect(progressText('pricing-preview-progress')).toBe('正在预览 gpt-5-mini… 75%'));

      previewing.answer(previewOf(MODEL, 42, { USD: 1 }, { USD: 2 }));
      await screen.findByTestId('pricing-preview');
      expect(screen.queryByTestId('pricing-preview-progress')).toBeNull();
    });
  });
});

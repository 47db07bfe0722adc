import { screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelPricing, PricingChange } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import Pricing from '../../../../renderer/src/views/Pricing.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';
import { installDialog, summaryWith, tokenVersion } from './support.js';
import { pending, progressBar, progressText } from '../../support/pending.js';

const DAY = 86_400_000;
const CHANGE_AT = Date.UTC(2026, 5, 1);

describe('the Pricing view', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    installDialog();
  });

  it('lists priced models and models seen without a price as Unpriced', async () => {
    const client = makeFakeClient({
      listPricing: async () => [{ model: 'gpt-5-mini', versions: [tokenVersion('gpt-5-mini', 0, null, 0.25, 2)] }],
      getSummary: async () => summaryWith(['gpt-5-mini', 'llama-3-8b']),
    });
    renderWithClient(client, Pricing, { model: null });

    await waitFor(() => expect(screen.getAllByTestId('pricing-model')).toHaveLength(2));
    const [priced, unpriced] = screen.getAllByTestId('pricing-model');
    expect(priced!.textContent).toContain('Per token · USD');
    expect(unpriced!.textContent).toContain('llama-3-8b');
    expect(unpriced!.textContent).toContain('Unpriced');
    expect(unpriced!.getAttribute('href')).toBe('#/pricing/llama-3-8b');
    expect(client.callsOf('getSummary')).toEqual([{ range: '30d' }]);
    expect(screen.getByText('Choose a model')).toBeTruthy();
  });

  it('shows a free model as Free, without a currency', async () => {
    const free = { ...tokenVersion('gpt-oss-20b', 0, null, 0, 0), method: 'none' as const, tiers: null };
    const client = makeFakeClient({ listPricing: async () => [{ model: 'gpt-oss-20b', versions: [free] }], getSummary: async () => summaryWith([]) });
    renderWithClient(client, Pricing, { model: 'gpt-oss-20b' });
    await waitFor(() => expect(screen.getAllByTestId('pricing-model')).toHaveLength(1));
    expect(screen.getByTestId('pricing-model').textContent?.trim()).toMatch(/Free$/);
    const [version] = await screen.findAllByTestId('pricing-version');
    expect(version!.textContent).not.toContain('USD');
  });

  it('shows the versions of the chosen model and deletes one after a permanent-delete question', async () => {
    let versions = [tokenVersion('gpt-5-mini', 0, CHANGE_AT, 0.25, 2), tokenVersion('gpt-5-mini', CHANGE_AT, null, 0.3, 2.5)];
    const client = makeFakeClient({
      listPricing: async (): Promise<ModelPricing[]> => [{ model: 'gpt-5-mini', versions }],
      getSummary: async () => summaryWith([]),
      deletePricing: async () => {
        versions = versions.slice(0, 1).map((version) => ({ ...version, effectiveTo: null }));
        return { pricing: { model: 'gpt-5-mini', versions }, repricedRequests: 12, notRepriced: 0 };
      },
    });
    renderWithClient(client, Pricing, { model: 'gpt-5-mini' });

    const rows = await screen.findAllByTestId('pricing-version');
    // Newest first: the version in force leads.
    expect(rows[0]!.textContent).toContain('In force');
    expect(rows[0]!.textContent).toContain('$0.300');
    expect(rows[1]!.textContent).toContain('Beginning of history');
    // The later version exists, so an empty date means "from now".
    expect(screen.getByText('Empty: from now (when you apply).')).toBeTruthy();

    const user = userEvent.setup();
    await user.click(within(rows[0]!).getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('This cannot be undone.');
    expect(client.callsOf('deletePricing')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));

    await screen.findByTestId('pricing-delete-result');
    expect(client.callsOf('deletePricing')).toEqual([{ model: 'gpt-5-mini', effectiveFrom: CHANGE_AT }]);
    expect(screen.getByTestId('pricing-delete-result').textContent).toContain('12 requests were re-priced');
  });

  it('shows how far the re-pricing a deleted version sets off has come, in the question, until it is done', async () => {
    const versions = [tokenVersion('gpt-5-mini', 0, CHANGE_AT, 0.25, 2), tokenVersion('gpt-5-mini', CHANGE_AT, null, 0.3, 2.5)];
    const deleting = pending<PricingChange>();
    const client = makeFakeClient({
      listPricing: async (): Promise<ModelPricing[]> => [{ model: 'gpt-5-mini', versions }],
      getSummary: async () => summaryWith([]),
      deletePricing: deleting.call,
    });
    renderWithClient(client, Pricing, { model: 'gpt-5-mini' });
    const rows = await screen.findAllByTestId('pricing-version');
    const user = userEvent.setup();
    await user.click(within(rows[0]!).getByRole('button', { name: 'Delete' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));

    await waitFor(() => expect(progressText('pricing-delete-progress')).toBe('Re-pricing gpt-5-mini…'));
    client.emit({ type: 'progress', progress: { task: 'reprice', model: 'o3', done: 9, total: 10 } });
    client.emit({ type: 'progress', progress: { task: 'reprice', model: 'gpt-5-mini', done: 3, total: 12 } });
    await waitFor(() => expect(progressText('pricing-delete-progress')).toBe('Re-pricing gpt-5-mini… 25%'));
    expect([progressBar('pricing-delete-progress').value, progressBar('pricing-delete-progress').max]).toEqual([3, 12]);

    deleting.answer({ pricing: { model: 'gpt-5-mini', versions: versions.slice(0, 1) }, repricedRequests: 12, notRepriced: 0 });
    await screen.findByTestId('pricing-delete-result');
    expect(screen.queryByTestId('pricing-delete-progress')).toBeNull();
  });

  it('reloads when the ledger announces a pricing change', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let versions = [tokenVersion('gpt-5-mini', 0, null, 0.25, 2)];
      const client = makeFakeClient({
        listPricing: async (): Promise<ModelPricing[]> => [{ model: 'gpt-5-mini', versions }],
        getSummary: async () => summaryWith([]),
      });
      renderWithClient(client, Pricing, { model: 'gpt-5-mini' });
      await waitFor(() => expect(screen.getAllByTestId('pricing-version')).toHaveLength(1));

      versions = [{ ...versions[0]!, effectiveTo: Date.now() - DAY }, tokenVersion('gpt-5-mini', Date.now() - DAY, null, 0.5, 4)];
      client.emit({ type: 'pricing', model: 'gpt-5-mini' });
      await vi.advanceTimersByTimeAsync(1_000);
      await waitFor(() => expect(screen.getAllByTestId('pricing-version')).toHaveLength(2));
    } finally {
      vi.useRealTimers();
    }
  });
});

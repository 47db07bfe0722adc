import { screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelSavings, Savings } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import QuickView from '../../../../renderer/src/views/QuickView.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';
import { history, summary } from './fixtures.js';

function row(model: string, reference: string, own: number, cloud: number): ModelSavings {
  return { model, reference, catalogue: '@pydantic/genai-prices@0.1.8', priceDate: null, ownCost: { USD: own }, cloudCost: { USD: cloud }, saved: { USD: cloud - own } };
}

function savingsOf(...models: ModelSavings[]): Savings {
  const sum = (pick: (m: ModelSavings) => number) => ({ USD: models.reduce((total, m) => total + pick(m), 0) });
  return { models, total: { ownCost: sum((m) => m.ownCost['USD']!), cloudCost: sum((m) => m.cloudCost['USD']!), saved: sum((m) => m.saved['USD']!) } };
}

async function show(savings: Savings | undefined): Promise<void> {
  const client = makeFakeClient({
    getSummary: async () => summary(savings === undefined ? {} : { savings }),
    listRuns: async () => [],
    listCircuits: async () => [],
    getHistory: async () => history([], 60),
    listBudgets: async () => [],
  });
  renderWithClient(client, QuickView, {});
  await vi.advanceTimersByTimeAsync(0);
}

describe('QuickView: saved vs cloud', () => {
  beforeEach(() => {
    i18n.choice = 'en';
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('shows the total saved with the reference it was compared with', async () => {
    await show(savingsOf(row('qwen3-coder-30b', 'openai/gpt-4o-mini', 0.5, 2)));
    const line = screen.getByTestId('quick-savings');
    expect(line.dataset['outcome']).toBe('saved');
    expect(line.textContent).toContain('Saved vs cloud');
    expect(line.textContent).toContain('$1.50');
    expect(screen.getByTestId('quick-savings-reference').textContent!.trim()).toBe('vs openai/gpt-4o-mini');
  });

  it('shows a loss as a positive amount labelled lost, and counts the references', async () => {
    await show(savingsOf(row('llama-70b', 'openai/gpt-4o', 3, 1), row('gemma-3-12b', 'google/gemini-2.5-flash', 1, 0.5)));
    const line = screen.getByTestId('quick-savings');
    expect(line.dataset['outcome']).toBe('lost');
    expect(line.textContent).toContain('Lost vs cloud');
    expect(line.textContent).toContain('$2.50');
    expect(line.textContent).not.toContain('-');
    expect(screen.getByTestId('quick-savings-reference').textContent!.trim()).toBe('vs 2 cloud references');
  });

  it('is hidden when no reference is set', async () => {
    await show(undefined);
    expect(screen.getByTestId('quick-totals')).toBeTruthy();
    expect(screen.queryByTestId('quick-savings')).toBeNull();
    await show({ models: [], total: { ownCost: {}, cloudCost: {}, saved: {} } });
    expect(screen.queryByTestId('quick-savings')).toBeNull();
  });
});

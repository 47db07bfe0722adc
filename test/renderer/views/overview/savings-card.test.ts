import { render, screen } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelSavings, Savings } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import SavingsCard from '../../../../renderer/src/views/overview/SavingsCard.svelte';

function row(model: string, ownCost: Record<string, number>, cloudCost: Record<string, number>): ModelSavings {
  const saved = { ...cloudCost };
  for (const [currency, amount] of Object.entries(ownCost)) saved[currency] = (saved[currency] ?? 0) - amount;
  return { model, reference: 'openai/gpt-4o-mini', catalogue: '@pydantic/genai-prices@0.1.8', priceDate: null, ownCost, cloudCost, saved };
}
function savingsOf(...models: ModelSavings[]): Savings {
  const total = { ownCost: {} as Record<string, number>, cloudCost: {} as Record<string, number>, saved: {} as Record<string, number> };
  for (const m of models) for (const key of ['ownCost', 'cloudCost', 'saved'] as const) for (const [c, a] of Object.entries(m[key])) total[key][c] = (total[key][c] ?? 0) + a;
  return { models, total };
}

describe('Saved vs cloud card', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('explains what it does when no local model has a cloud reference', () => {
    render(SavingsCard, { props: { savings: { models: [], total: { ownCost: {}, cloudCost: {}, saved: {} } } } });
    expect(screen.getByTestId('card-savings').textContent).toContain('Saved vs cloud');
    expect(screen.getByTestId('savings-empty').textContent).toMatch(/Choose a cloud model for a local model/);
    expect(screen.queryByTestId('savings-outcome')).toBeNull();
  });

  it('shows the total saved and what the same tokens cost in the cloud', () => {
    render(SavingsCard, { props: { savings: savingsOf(row('qwen', {}, { USD: 12.5 }), row('llama', { USD: 1 }, { USD: 3 })) } });
    const outcome = screen.getByTestId('savings-outcome');
    expect(outcome.dataset['outcome']).toBe('saved');
    expect(outcome.textContent).toContain('$14.50');
    expect(screen.getByTestId('card-savings').textContent).toContain('saved by running locally');
    expect(screen.getByTestId('savings-detail').textContent).toMatch(/2 local models.*\$15\.50/s);
  });

  it('shows an hourly GPU that cost more than the cloud as lost, with the amount positive', () => {
    render(SavingsCard, { props: { savings: savingsOf(row('gpu', { USD: 50 }, { USD: 0.75 })) } });
    const outcome = screen.getByTestId('savings-outcome');
    expect(outcome.dataset['outcome']).toBe('lost');
    expect(outcome.textContent).toContain('$49.25');
    expect(outcome.textContent).not.toContain('-');
    expect(screen.getByTestId('card-savings').textContent).toContain('lost: running locally cost more');
  });

  it('speaks Chinese', () => {
    i18n.choice = 'zh-CN';
    render(SavingsCard, { props: { savings: undefined } });
    expect(screen.getByTestId('card-savings').textContent).toContain('相比云端节省');
    expect(screen.getByTestId('savings-empty').textContent).toContain('选择一个云端模型');
  });
});

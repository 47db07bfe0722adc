import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/errors.js';
import type { SavingsReference } from '../../../../shared/types.js';
import { i18n } from '../../../../renderer/src/lib/i18n/i18n.svelte.js';
import SavingsLine from '../../../../renderer/src/views/models/SavingsLine.svelte';
import { makeFakeClient, renderWithClient } from '../../support/fake-client.js';

const MODEL = 'Qwen3-Coder-30B';

/** A fake ledger of references, refusing what the catalogue would (anything but openai/*). */
function client(initial: SavingsReference[] = []) {
  let stored = [...initial];
  return makeFakeClient({
    listSavingsReferences: async () => stored,
    setSavingsReference: async ({ model, reference }) => {
      if (reference !== null && !reference.startsWith('openai/')) throw new ApiError('validation_failed', `unknown catalogue model "${reference}"`);
      stored = stored.filter((item) => item.model !== model);
      if (reference !== null) stored.push({ model, reference });
      return { model, reference };
    },
  });
}

describe('Model page: saved vs cloud', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  it('explains itself without a reference, then saves the one the user types', async () => {
    const fake = client();
    renderWithClient(fake, SavingsLine, { model: MODEL, savings: null });
    expect((await screen.findByTestId('model-savings-empty')).textContent).toMatch(/Choose a cloud model from the price catalogue/);
    await fireEvent.input(screen.getByTestId('model-savings-input'), { target: { value: 'openai/gpt-4o-mini' } });
    await fireEvent.click(screen.getByTestId('model-savings-save'));
    expect(fake.callsOf('setSavingsReference')).toEqual([{ model: MODEL, reference: 'openai/gpt-4o-mini' }]);
    expect((await screen.findByTestId('model-savings-reference')).textContent).toContain('compared with openai/gpt-4o-mini');
  });

  it('shows the figures and a loss, and clears the reference', async () => {
    const fake = client([{ model: MODEL, reference: 'openai/gpt-4o-mini' }]);
    const savings = { model: MODEL, reference: 'openai/gpt-4o-mini', catalogue: '@pydantic/genai-prices@0.1.8', priceDate: null, ownCost: { USD: 5 }, cloudCost: { USD: 2 }, saved: { USD: -3 } };
    renderWithClient(fake, SavingsLine, { model: MODEL, savings });
    const figures = await screen.findByTestId('model-savings-figures');
    expect(figures.textContent).toMatch(/\$2\.00.*lost.*\$3\.00/s);
    await fireEvent.click(screen.getByTestId('model-savings-clear'));
    expect(fake.callsOf('setSavingsReference')).toEqual([{ model: MODEL, reference: null }]);
    await waitFor(() => expect(screen.queryByTestId('model-savings-reference')).toBeNull());
  });

  it('shows the service’s refusal of an entry the catalogue does not have, and saves nothing', async () => {
    const fake = client();
    renderWithClient(fake, SavingsLine, { model: MODEL, savings: null });
    await fireEvent.input(await screen.findByTestId('model-savings-input'), { target: { value: 'acme/gpt-99' } });
    await fireEvent.click(screen.getByTestId('model-savings-save'));
    expect((await screen.findByText(/unknown catalogue model "acme\/gpt-99"/)).textContent).toBeTruthy();
    expect(screen.queryByTestId('model-savings-reference')).toBeNull();
  });
});

describe('Model page: suggested reference and catalogue picker', () => {
  beforeEach(() => {
    i18n.choice = 'en';
  });

  const price = { base: 0.2, tiers: [] };
  const entry = (provider: string, modelId: string) => ({
    provider,
    providerName: provider,
    modelId,
    name: null,
    since: null,
    prices: { input: price, output: { base: 0.6, tiers: [] }, cacheRead: null, cacheWrite: null, cacheWrite1h: null },
  });

  function catalogueClient() {
    let stored: SavingsReference[] = [];
    return makeFakeClient({
      listSavingsReferences: async () => stored,
      setSavingsReference: async ({ model, reference }) => {
        stored = reference === null ? [] : [{ model, reference }];
        return { model, reference };
      },
      searchCatalogue: async ({ search }) => ({
        package: '@pydantic/genai-prices',
        version: '0.1.8',
        currency: 'USD' as const,
        truncated: false,
        entries:
          search === 'qwen'
            ? [entry('fireworks', 'qwen3-235b-a22b'), entry('cerebras', 'qwen-3-32b')]
            : [entry('openai', 'gpt-4o-mini'), entry('openai', 'gpt-4o-mini-2024-07-18')].filter((e) => e.modelId.includes(search)),
      }),
    });
  }

  it('suggests a catalogue entry of the same family and size, and sets it only on Use', async () => {
    const fake = catalogueClient();
    renderWithClient(fake, SavingsLine, { model: 'Qwen3-Coder-30B-A3B-Instruct', savings: null });
    const suggested = await screen.findByTestId('model-savings-suggestion');
    expect(suggested.textContent).toContain('Suggested: cerebras/qwen-3-32b');
    // Shown, not applied.
    expect(fake.callsOf('setSavingsReference')).toEqual([]);
    await fireEvent.click(screen.getByTestId('model-savings-use'));
    expect(fake.callsOf('setSavingsReference')).toEqual([{ model: 'Qwen3-Coder-30B-A3B-Instruct', reference: 'cerebras/qwen-3-32b' }]);
    expect((await screen.findByTestId('model-savings-reference')).textContent).toContain('compared with cerebras/qwen-3-32b');
  });

  it('offers no suggestion for a name without a known family', async () => {
    const fake = catalogueClient();
    renderWithClient(fake, SavingsLine, { model: 'my-finetune', savings: null });
    await screen.findByTestId('model-savings-empty');
    expect(fake.callsOf('searchCatalogue')).toEqual([]);
    expect(screen.queryByTestId('model-savings-suggestion')).toBeNull();
  });

  it('searches the catalogue as the user types and sets the entry picked', async () => {
    const fake = catalogueClient();
    renderWithClient(fake, SavingsLine, { model: 'my-finetune', savings: null });
    await fireEvent.input(await screen.findByTestId('model-savings-input'), { target: { value: 'gpt-4o-mini' } });
    const options = await screen.findAllByTestId('model-savings-option');
    expect(options.map((option) => option.dataset['entry'])).toEqual(['openai/gpt-4o-mini', 'openai/gpt-4o-mini-2024-07-18']);
    expect(fake.callsOf('searchCatalogue')).toEqual([{ search: 'gpt-4o-mini', limit: 8 }]);
    await fireEvent.click(options[0]!);
    expect(fake.callsOf('setSavingsReference')).toEqual([{ model: 'my-finetune', reference: 'openai/gpt-4o-mini' }]);
    expect((await screen.findByTestId('model-savings-reference')).textContent).toContain('compared with openai/gpt-4o-mini');
  });
});

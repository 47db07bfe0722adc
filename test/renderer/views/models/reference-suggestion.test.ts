import { describe, expect, it } from 'vitest';
import type { CatalogueEntry } from '../../../../shared/types.js';
import { familyAndSize, suggestReference } from '../../../../renderer/src/views/models/reference-suggestion.js';

function entry(label: string): CatalogueEntry {
  const [provider, ...rest] = label.split('/');
  const price = { base: 1, tiers: [] };
  return { provider: provider!, providerName: provider!, modelId: rest.join('/'), name: null, since: null, prices: { input: price, output: price, cacheRead: null, cacheWrite: null, cacheWrite1h: null } };
}

const QWEN = ['cerebras/qwen-3-32b', 'fireworks/qwen3-235b-a22b', 'together/Qwen/Qwen1.5-7B', 'together/Qwen/Qwen1.5-72B'].map(entry);
const LLAMA = ['groq/llama-3.1-8b-instant', 'groq/llama-3.3-70b-versatile', 'together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo'].map(entry);
const DEEPSEEK = ['deepseek/deepseek-chat', 'deepseek/deepseek-reasoner', 'fireworks/deepseek-v3p2'].map(entry);

describe('a suggested cloud reference from a local model’s family and size', () => {
  it.each([
    ['Qwen3-Coder-30B-A3B-Instruct-Q4_K_M', 'qwen', 30],
    ['qwen2.5:7b', 'qwen', 7],
    ['Meta-Llama-3.1-70B-Instruct', 'llama', 70],
    ['mixtral-8x7b', 'mixtral', 56],
    ['DeepSeek-R1-Distill-Qwen-32B', 'deepseek', 32],
    ['gemma-3-12b-it', 'gemma', 12],
    ['deepseek-v3', 'deepseek', null],
  ])('reads %s as %s, %s B', (name, family, size) => {
    expect(familyAndSize(name)).toEqual({ family, size });
  });

  it('knows nothing of a name without a family', () => {
    expect(familyAndSize('my-finetune-v2')).toBeNull();
    expect(suggestReference('my-finetune-v2', QWEN)).toBeNull();
  });

  it('picks the same family closest in size', () => {
    expect(suggestReference('Qwen3-Coder-30B-A3B-Instruct', QWEN)).toBe('cerebras/qwen-3-32b');
    expect(suggestReference('qwen2.5:7b', QWEN)).toBe('together/Qwen/Qwen1.5-7B');
    expect(suggestReference('qwen2.5:110b', QWEN)).toBe('together/Qwen/Qwen1.5-72B');
    expect(suggestReference('Meta-Llama-3.1-8B-Instruct-Q8_0', LLAMA)).toBe('groq/llama-3.1-8b-instant');
    expect(suggestReference('llama3.3:70b', LLAMA)).toBe('groq/llama-3.3-70b-versatile');
  });

  it('falls back to the family’s usual hosted model when no size is known, and never crosses families', () => {
    expect(suggestReference('DeepSeek-V3-0324-UD-Q2_K_XL', DEEPSEEK)).toBe('deepseek/deepseek-chat');
    expect(suggestReference('gemma-3-12b-it', QWEN)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { providerOfBaseUrl } from '../../../../electron/sources/proxy/provider.js';

describe('the catalogue provider of an upstream base URL', () => {
  it.each([
    ['https://api.openai.com/v1', 'openai'],
    ['https://api.anthropic.com', 'anthropic'],
    ['https://api.deepseek.com/v1', 'deepseek'],
    ['https://api.mistral.ai/v1', 'mistral'],
  ])('%s is %s', (url, provider) => {
    expect(providerOfBaseUrl(url)).toBe(provider);
  });

  it('a local server or an unknown gateway has none', () => {
    expect(providerOfBaseUrl('http://127.0.0.1:8080/v1')).toBeNull();
    expect(providerOfBaseUrl('https://llm.example.internal/v1')).toBeNull();
  });
});

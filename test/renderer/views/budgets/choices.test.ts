import { describe, expect, it } from 'vitest';
import type { Circuit, ProxyRoute } from '../../../../shared/types.js';
import { choicesOf } from '../../../../renderer/src/views/budgets/choices.js';
import { modelRow, summary } from '../overview/fixtures.js';

const circuit = (metricsKey: string, overrides: Partial<Circuit> = {}): Circuit => ({
  metricsKey,
  apiType: 'openai',
  baseUrl: null,
  keyMask: null,
  label: null,
  state: 'closed',
  consecutiveFailures: 0,
  openedAt: null,
  nextRetryAt: null,
  backoffLevel: 0,
  lastSuccessAt: null,
  lastFailureAt: null,
  updatedAt: null,
  ...overrides,
});

describe('what the scope picker offers', () => {
  it('joins models seen and priced, projects by folder name, routes, and channels from circuits and routes', () => {
    const route = {
      name: 'claude',
      channels: [
        { id: 'c1', baseUrl: 'https://api.anthropic.com', label: null, hasKey: true, keyMask: 'sk-…1', metricsKey: 'bbbbbbbbbbbbbbbb' },
        { id: 'c2', baseUrl: 'https://backup.example', label: 'Backup', hasKey: false, keyMask: null, metricsKey: null },
      ],
    } as unknown as ProxyRoute;
    const choices = choicesOf({
      summary: summary({ models: [modelRow('gpt-5-mini'), modelRow('Qwen3')] }),
      pricing: [{ model: 'gpt-5-mini', versions: [] }, { model: 'claude-sonnet-4-5', versions: [] }],
      projects: [{ project: '/home/me/app', name: 'app', firstSeen: null, lastSeen: null, requests: 3, cost: {} }],
      routes: [route],
      circuits: [circuit('aaaaaaaaaaaaaaaa', { label: 'Team key', baseUrl: 'https://api.openai.com' }), circuit('cccccccccccccccc', { keyMask: 'sk-z…9' })],
    });
    expect(choices.models).toEqual(['claude-sonnet-4-5', 'gpt-5-mini', 'Qwen3']);
    expect(choices.projects).toEqual([{ value: '/home/me/app', label: 'app' }]);
    expect(choices.routes).toEqual(['claude']);
    // A channel whose key the client holds has no metricsKey of its own: it is not offered.
    expect(choices.channels).toEqual([
      { metricsKey: 'bbbbbbbbbbbbbbbb', label: 'https://api.anthropic.com' },
      { metricsKey: 'cccccccccccccccc', label: 'sk-z…9' },
      { metricsKey: 'aaaaaaaaaaaaaaaa', label: 'Team key' },
    ]);
  });

  it('offers nothing from a source that did not answer', () => {
    expect(choicesOf({})).toEqual({ models: [], projects: [], routes: [], channels: [] });
  });
});

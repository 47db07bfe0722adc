import { describe, expect, it } from 'vitest';
import { channelInput, emptyChannel, errorsOfRouteDetails, keyPlan, moved, routeForm, routeUrl, suggestedName, toRouteInput } from '../../../../renderer/src/views/settings/routes.js';
import { inputOf, toWatcherInput, watcherForm } from '../../../../renderer/src/views/settings/watchers.js';
import { OPENAI_ROUTE, watcher } from './integrations-support.js';

describe('the route form', () => {
  it('keeps a held key by leaving it out, forgets it with null, and replaces it with a typed key', () => {
    const form = routeForm(OPENAI_ROUTE);
    const held = form.channels[0]!;
    expect(held.apiKey).toBe('');
    expect(keyPlan(held)).toBe('keep');
    expect(channelInput(held)).toEqual({ id: 'a1', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI' });

    held.forget = true;
    expect(channelInput(held)).toEqual({ id: 'a1', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI', apiKey: null });

    held.apiKey = '  sk-new-key-1234  ';
    expect(keyPlan(held)).toBe('set');
    expect(channelInput(held).apiKey).toBe('sk-new-key-1234');

    const client = form.channels[1]!;
    expect(keyPlan(client)).toBe('client');
    expect('apiKey' in channelInput(client)).toBe(false);
  });

  it('forgets a held key when the base URL moves to another origin, and says so (11.2)', () => {
    const held = routeForm(OPENAI_ROUTE).channels[0]!;
    held.baseUrl = 'https://api.openai.com/v2';
    expect(keyPlan(held)).toBe('keep');
    for (const elsewhere of ['https://collector.example/v1', 'http://api.openai.com/v1', 'https://api.openai.com:8443/v1']) {
      held.baseUrl = elsewhere;
      expect(keyPlan(held), elsewhere).toBe('moved');
      expect(channelInput(held), elsewhere).toEqual({ id: 'a1', baseUrl: elsewhere, label: 'OpenAI', apiKey: null });
    }
    // Half-typed addresses are not a move yet; a key typed for the new host is held for it.
    held.baseUrl = 'https://';
    expect(keyPlan(held)).toBe('keep');
    held.baseUrl = 'https://collector.example';
    held.apiKey = 'sk-for-the-new-host';
    expect(keyPlan(held)).toBe('set');
  });

  it('offers a route name as a slug (12.12)', () => {
    expect(suggestedName('My Claude')).toBe('my-claude');
    expect(suggestedName('  Qwen 3 / Coder!! ')).toBe('qwen-3-coder');
    expect(suggestedName('Café Crème')).toBe('cafe-creme');
    expect(suggestedName('--Local.LLM--')).toBe('local.llm');
    expect(suggestedName('x'.repeat(80) + ' y')).toBe('x'.repeat(64));
    expect(suggestedName('already-fine')).toBeNull();
    expect(suggestedName('本地模型')).toBeNull();
    expect(suggestedName('')).toBeNull();
  });

  it('says what to change in a base URL with user:pw@ or a query, and a key with invisible characters (11.14, 11.6)', () => {
    const form = routeForm();
    form.name = 'x';
    form.channels = [
      { ...emptyChannel(), baseUrl: 'https://user:sk-secret@api.openai.com' },
      { ...emptyChannel(), baseUrl: 'https://api.openai.com/v1?key=sk-secret' },
      { ...emptyChannel(), baseUrl: 'https://api.openai.com', apiKey: 'sk-abc\u200bdef' },
    ];
    const result = toRouteInput(form);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors['channels.0.baseUrl']!.key).toBe('settings.routes.error.urlCredentials');
    expect(result.errors['channels.1.baseUrl']!.key).toBe('settings.routes.error.urlQuery');
    expect(result.errors['channels.2.apiKey']!.key).toBe('settings.routes.error.keyChars');
  });

  it('gives a new channel no id, so the server makes one', () => {
    const row = { ...emptyChannel(), baseUrl: 'http://127.0.0.1:11434', label: ' ' };
    expect(channelInput(row)).toEqual({ baseUrl: 'http://127.0.0.1:11434' });
  });

  it('answers the name and the route input the server takes', () => {
    const form = routeForm();
    form.name = 'local-llama';
    form.channels[0]!.baseUrl = 'http://127.0.0.1:8080';
    form.timeoutSeconds = '60';
    form.includeUsage = true;
    expect(toRouteInput(form)).toEqual({
      ok: true,
      name: 'local-llama',
      route: { protocol: 'openai', channels: [{ baseUrl: 'http://127.0.0.1:8080' }], includeUsage: true, timeoutSeconds: 60, enabled: true },
    });
    // Usage in streams is an OpenAI option: other protocols never send it on.
    form.protocol = 'anthropic';
    expect(toRouteInput(form)).toMatchObject({ ok: true, route: { includeUsage: false } });
  });

  it('names each bad field with the paths the server uses', () => {
    const form = routeForm();
    form.name = 'Not A Slug';
    form.channels = [{ ...emptyChannel(), baseUrl: 'ftp://example.com' }, { ...emptyChannel(), baseUrl: 'http://ok.example' }];
    form.timeoutSeconds = '0';
    const result = toRouteInput(form);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['channels.0.baseUrl', 'name', 'timeoutSeconds']);
    expect(result.errors['name']!.key).toBe('settings.routes.error.name');
    expect(result.errors['channels.0.baseUrl']!.key).toBe('settings.routes.error.url');
    expect(result.errors['timeoutSeconds']).toEqual({ key: 'pricing.field.min', params: { min: '1' } });
  });

  it('refuses a name another route has, since saving would replace that route', () => {
    const form = routeForm();
    form.name = 'openai';
    form.channels[0]!.baseUrl = 'http://127.0.0.1:8080';
    expect(toRouteInput(form, ['openai'])).toEqual({ ok: false, errors: { name: { key: 'settings.routes.error.nameTaken' } } });
  });

  it('puts server details on the fields, including ones given by channel index', () => {
    expect(
      errorsOfRouteDetails([
        { field: 'channels.1.baseUrl', reason: 'bad url' },
        { index: 2, field: 'id', reason: 'unknown channel id' },
      ]),
    ).toEqual({
      'channels.1.baseUrl': { key: 'pricing.field.other', params: { message: 'bad url' } },
      'channels.2.id': { key: 'pricing.field.other', params: { message: 'unknown channel id' } },
    });
  });

  it('moves channels one place at a time and never off the ends', () => {
    expect(moved(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moved(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });

  it('builds the client address from the API origin and the route path', () => {
    expect(routeUrl('http://127.0.0.1:7423/api/v1', '/r/openai')).toBe('http://127.0.0.1:7423/r/openai');
    expect(routeUrl(null, '/r/openai')).toBe('/r/openai');
  });
});

describe('the watcher form', () => {
  it('uses the launcher’s usual address when none is typed, and sends a model name only for llama.cpp', () => {
    const form = watcherForm();
    form.kind = 'ollama';
    form.model = 'ignored';
    expect(toWatcherInput(form)).toEqual({ ok: true, watcher: { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434', enabled: true, pollSeconds: 5 } });
    form.kind = 'llama-cpp';
    form.model = 'qwen3-8b';
    form.label = 'Laptop';
    expect(toWatcherInput(form)).toEqual({ ok: true, watcher: { kind: 'llama-cpp', baseUrl: 'http://127.0.0.1:8080', enabled: true, pollSeconds: 5, model: 'qwen3-8b', label: 'Laptop' } });
  });

  it('refuses a bad address and a poll period out of range', () => {
    const form = watcherForm();
    form.baseUrl = 'localhost:8080';
    form.pollSeconds = '0';
    expect(toWatcherInput(form)).toEqual({ ok: false, errors: { baseUrl: { key: 'settings.routes.error.url' }, pollSeconds: { key: 'pricing.field.min', params: { min: '1' } } } });
  });

  it('turns a stored watcher back into the input that saves it unchanged', () => {
    expect(inputOf(watcher({ model: null, label: null }))).toEqual({ kind: 'llama-swap', baseUrl: 'http://127.0.0.1:8080', enabled: true, pollSeconds: 5 });
    expect(inputOf(watcher({ kind: 'llama-cpp', model: 'm' }))).toMatchObject({ model: 'm', label: 'GPU box' });
  });
});

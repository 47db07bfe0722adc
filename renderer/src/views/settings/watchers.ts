import { watcherInputSchema, type WatcherInput, type WatcherKind } from '../../../../shared/schemas/integrations.js';
import type { Watcher, WatcherState } from '../../../../shared/types.js';
import { messageOfIssue, parseNumber, type FieldErrors } from '../pricing/fields.js';

/** Where each launcher listens out of the box, as the placeholder of its address. */
export const DEFAULT_URL: Record<WatcherKind, string> = {
  'llama-swap': 'http://127.0.0.1:8080',
  ollama: 'http://127.0.0.1:11434',
  'llama-cpp': 'http://127.0.0.1:8080',
};

export interface WatcherForm {
  kind: WatcherKind;
  baseUrl: string;
  pollSeconds: string;
  model: string;
  label: string;
  enabled: boolean;
}

export function watcherForm(watcher?: Watcher): WatcherForm {
  if (!watcher) return { kind: 'llama-swap', baseUrl: '', pollSeconds: '5', model: '', label: '', enabled: true };
  return {
    kind: watcher.kind,
    baseUrl: watcher.baseUrl,
    pollSeconds: String(watcher.pollSeconds),
    model: watcher.model ?? '',
    label: watcher.label ?? '',
    enabled: watcher.enabled,
  };
}

/** A stored watcher as the input that saves it unchanged (saving replaces the whole watcher). */
export function inputOf(watcher: Watcher): WatcherInput {
  return {
    kind: watcher.kind,
    baseUrl: watcher.baseUrl,
    enabled: watcher.enabled,
    pollSeconds: watcher.pollSeconds,
    ...(watcher.model === null ? {} : { model: watcher.model }),
    ...(watcher.label === null ? {} : { label: watcher.label }),
  };
}

export type WatcherResult = { ok: true; watcher: WatcherInput } | { ok: false; errors: FieldErrors };

/** Checked with the server's schema; an empty address means the launcher's usual one. */
export function toWatcherInput(form: WatcherForm): WatcherResult {
  const errors: FieldErrors = {};
  const poll = parseNumber(form.pollSeconds, true);
  if (!poll.ok) errors['pollSeconds'] = poll.error;
  const model = form.model.trim();
  const label = form.label.trim();
  const watcher: WatcherInput = {
    kind: form.kind,
    baseUrl: form.baseUrl.trim() || DEFAULT_URL[form.kind],
    enabled: form.enabled,
    pollSeconds: poll.ok ? (poll.value ?? 0) : 0,
    // Only llama.cpp servers may leave the model unnamed; the others report their models.
    ...(form.kind === 'llama-cpp' && model !== '' ? { model } : {}),
    ...(label === '' ? {} : { label }),
  };
  const checked = watcherInputSchema.safeParse(watcher);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const path = issue.path.map(String).join('.') || '(body)';
      errors[path] ??= path === 'baseUrl' ? { key: 'settings.routes.error.url' } : messageOfIssue(issue);
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, watcher };
}

export const STATE_TONE: Record<WatcherState, string> = { off: '', connecting: 'warn', up: 'ok', down: 'bad' };

import type { z } from 'zod';
import type { ErrorDetail } from '../../../../shared/errors.js';
import { proxyRouteInputSchema, routeNameSchema, type ProxyChannelInput, type ProxyProtocol, type ProxyRouteInput } from '../../../../shared/schemas/integrations.js';
import type { ProxyRoute } from '../../../../shared/types.js';
import { messageOfIssue, parseNumber, type FieldErrors, type FieldMessage } from '../pricing/fields.js';

/**
 * One channel row of the route form. A key the app already holds is never sent back to the UI, so
 * the row only knows whether there is one (and its mask): an empty key field keeps it, `forget`
 * drops it, a typed key replaces it.
 */
export interface ChannelForm {
  /** The stored channel's id; undefined for a row added in this form. */
  id: string | undefined;
  baseUrl: string;
  label: string;
  apiKey: string;
  heldKeyMask: string | null;
  forget: boolean;
}

export interface RouteForm {
  name: string;
  protocol: ProxyProtocol;
  channels: ChannelForm[];
  timeoutSeconds: string;
  includeUsage: boolean;
  enabled: boolean;
}

export const emptyChannel = (): ChannelForm => ({ id: undefined, baseUrl: '', label: '', apiKey: '', heldKeyMask: null, forget: false });

export function routeForm(route?: ProxyRoute): RouteForm {
  if (!route) return { name: '', protocol: 'openai', channels: [emptyChannel()], timeoutSeconds: '300', includeUsage: false, enabled: true };
  return {
    name: route.name,
    protocol: route.protocol,
    channels: route.channels.map((channel) => ({
      id: channel.id,
      baseUrl: channel.baseUrl,
      label: channel.label ?? '',
      apiKey: '',
      heldKeyMask: channel.hasKey ? (channel.keyMask ?? '…') : null,
      forget: false,
    })),
    timeoutSeconds: String(route.timeoutSeconds),
    includeUsage: route.includeUsage,
    enabled: route.enabled,
  };
}

/** What saving does with a row's key: keep the held one, set a new one, forget it, or use the client's. */
export type KeyPlan = 'keep' | 'set' | 'forget' | 'client';

export function keyPlan(channel: ChannelForm): KeyPlan {
  if (channel.apiKey.trim() !== '') return 'set';
  if (channel.heldKeyMask === null) return 'client';
  return channel.forget ? 'forget' : 'keep';
}

export function channelInput(channel: ChannelForm): ProxyChannelInput {
  const label = channel.label.trim();
  const plan = keyPlan(channel);
  return {
    ...(channel.id === undefined ? {} : { id: channel.id }),
    baseUrl: channel.baseUrl.trim(),
    ...(label === '' ? {} : { label }),
    // Absent keeps the held key; null forgets it.
    ...(plan === 'set' ? { apiKey: channel.apiKey.trim() } : plan === 'forget' ? { apiKey: null } : {}),
  };
}

export type RouteResult = { ok: true; name: string; route: ProxyRouteInput } | { ok: false; errors: FieldErrors };

/**
 * Checks the form with the server's own schemas, so the errors appear before anything is sent.
 * `taken` are the names of other routes: saving under one of them would replace it.
 */
export function toRouteInput(form: RouteForm, taken: readonly string[] = []): RouteResult {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  const nameCheck = routeNameSchema.safeParse(name);
  if (name === '') errors['name'] = { key: 'pricing.field.required' };
  else if (!nameCheck.success) errors['name'] = { key: 'settings.routes.error.name' };
  else if (taken.includes(name)) errors['name'] = { key: 'settings.routes.error.nameTaken' };

  const timeout = parseNumber(form.timeoutSeconds, true);
  if (!timeout.ok) errors['timeoutSeconds'] = timeout.error;

  const route: ProxyRouteInput = {
    protocol: form.protocol,
    channels: form.channels.map(channelInput),
    // Usage in streams is an OpenAI-compatible option; other protocols always report it.
    includeUsage: form.protocol === 'openai' && form.includeUsage,
    timeoutSeconds: timeout.ok ? (timeout.value ?? 0) : 0,
    enabled: form.enabled,
  };
  const checked = proxyRouteInputSchema.safeParse(route);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const path = issue.path.map(String).join('.') || '(body)';
      errors[path] ??= messageOf(path, issue);
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, name, route };
}

function messageOf(path: string, issue: z.core.$ZodIssue): FieldMessage {
  if (path.endsWith('.baseUrl')) return { key: 'settings.routes.error.url' };
  if (path === 'channels' && issue.code === 'too_small') return { key: 'settings.routes.error.noChannel' };
  return messageOfIssue(issue);
}

/**
 * The server's validation details next to the fields they name (`channels.0.baseUrl`). A detail
 * about one channel may come as `{ index, field }` instead; it goes to that row too.
 */
export function errorsOfRouteDetails(details: readonly ErrorDetail[] | undefined): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details ?? []) {
    const field = detail.index === undefined || detail.field.startsWith('channels.') ? detail.field : `channels.${detail.index}.${detail.field}`;
    errors[field] ??= { key: 'pricing.field.other', params: { message: detail.reason } };
  }
  return errors;
}

/** Moves an item one place; answers a new array (the form's rows are reassigned, not mutated). */
export function moved<T>(items: readonly T[], from: number, by: -1 | 1): T[] {
  const to = from + by;
  if (to < 0 || to >= items.length) return [...items];
  const next = [...items];
  [next[from], next[to]] = [next[to]!, next[from]!];
  return next;
}

/** The address clients use: the API's origin plus the route's path (`http://127.0.0.1:7423/r/openai`). */
export function routeUrl(apiUrl: string | null, path: string): string {
  if (!apiUrl) return path;
  try {
    return `${new URL(apiUrl).origin}${path}`;
  } catch {
    return path;
  }
}

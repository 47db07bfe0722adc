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
  /** The base URL the held key was given for: the server forgets the key if the origin changes. */
  savedBaseUrl: string | null;
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

export const emptyChannel = (): ChannelForm => ({ id: undefined, baseUrl: '', label: '', apiKey: '', heldKeyMask: null, savedBaseUrl: null, forget: false });

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
      savedBaseUrl: channel.baseUrl,
      forget: false,
    })),
    timeoutSeconds: String(route.timeoutSeconds),
    includeUsage: route.includeUsage,
    enabled: route.enabled,
  };
}

/**
 * What saving does with a row's key: keep the held one, set a new one, forget it, use the client's,
 * or `moved`: the base URL now points at another origin, so the held key is forgotten (it was given
 * for the old host) and the row asks for the key again.
 */
export type KeyPlan = 'keep' | 'set' | 'forget' | 'moved' | 'client';

export function keyPlan(channel: ChannelForm): KeyPlan {
  if (channel.apiKey.trim() !== '') return 'set';
  if (channel.heldKeyMask === null) return 'client';
  if (channel.forget) return 'forget';
  return originMoved(channel) ? 'moved' : 'keep';
}

function originOf(url: string): string | null {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return null;
  }
}

/** Whether the row's base URL points at another scheme, host or port than the held key was given for. */
export function originMoved(channel: ChannelForm): boolean {
  if (channel.savedBaseUrl === null) return false;
  const now = originOf(channel.baseUrl);
  return now !== null && now !== originOf(channel.savedBaseUrl);
}

/**
 * A route name offered for what was typed: "My Claude" -> "my-claude". Null when nothing usable is
 * left (a name of CJK characters only) or the name is already valid.
 */
export function suggestedName(typed: string): string | null {
  if (routeNameSchema.safeParse(typed.trim()).success) return null;
  const slug = typed
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/[-.]+$/, '');
  return routeNameSchema.safeParse(slug).success ? slug : null;
}

export function channelInput(channel: ChannelForm): ProxyChannelInput {
  const label = channel.label.trim();
  const plan = keyPlan(channel);
  return {
    ...(channel.id === undefined ? {} : { id: channel.id }),
    baseUrl: channel.baseUrl.trim(),
    ...(label === '' ? {} : { label }),
    // Absent keeps the held key; null forgets it.
    ...(plan === 'set' ? { apiKey: channel.apiKey.trim() } : plan === 'forget' || plan === 'moved' ? { apiKey: null } : {}),
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
      errors[path] ??= messageOf(path, issue, route);
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, name, route };
}

function messageOf(path: string, issue: z.core.$ZodIssue, route: ProxyRouteInput): FieldMessage {
  if (path.endsWith('.baseUrl')) return baseUrlMessage(route.channels[Number(issue.path[1])]?.baseUrl ?? '');
  if (path.endsWith('.apiKey')) return { key: 'settings.routes.error.keyChars' };
  if (path === 'channels' && issue.code === 'too_small') return { key: 'settings.routes.error.noChannel' };
  return messageOfIssue(issue);
}

/** Why a base URL is refused, in the words that tell the user what to change. */
function baseUrlMessage(baseUrl: string): FieldMessage {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return { key: 'settings.routes.error.url' };
  }
  if (url.username !== '' || url.password !== '') return { key: 'settings.routes.error.urlCredentials' };
  if ((url.protocol === 'http:' || url.protocol === 'https:') && (url.search !== '' || url.hash !== '')) return { key: 'settings.routes.error.urlQuery' };
  return { key: 'settings.routes.error.url' };
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

import type { z } from 'zod';
import type { MessageKey, MessageParams } from '../../lib/i18n/i18n.svelte.js';

/**
 * Form fields are typed as text (so a half-typed "0." or a stray letter is shown back, not
 * silently dropped) and turned into numbers here. Errors keep a message key, not a sentence, so
 * they follow a language switch while they are on screen.
 */
export interface FieldMessage {
  key: MessageKey;
  params?: MessageParams;
}

/** Errors by dotted field path, as the shared schemas and the server's ApiError details name them. */
export type FieldErrors = Record<string, FieldMessage>;

export type Parsed = { ok: true; value: number | undefined } | { ok: false; error: FieldMessage };

/** Empty text is "not given"; anything else must be a finite number. */
export function parseNumber(text: string, required: boolean): Parsed {
  const trimmed = text.trim();
  if (trimmed === '') return required ? { ok: false, error: { key: 'pricing.field.required' } } : { ok: true, value: undefined };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, error: { key: 'pricing.field.number' } };
  return { ok: true, value };
}

/** A zod issue as a message in the UI's language; the schema's own English text as the fallback. */
export function messageOfIssue(issue: z.core.$ZodIssue): FieldMessage {
  switch (issue.code) {
    case 'too_small':
      return { key: 'pricing.field.min', params: { min: String(issue.minimum) } };
    case 'too_big':
      return { key: 'pricing.field.max', params: { max: String(issue.maximum) } };
    case 'invalid_format':
      return { key: 'pricing.field.currency' };
    case 'invalid_type':
      return { key: issue.expected === 'int' ? 'pricing.field.integer' : 'pricing.field.number' };
    default:
      return { key: 'pricing.field.other', params: { message: issue.message } };
  }
}

/** Adds each issue under its path, keeping the first error a field got (the more specific one). */
export function addIssues(errors: FieldErrors, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    const path = issue.path.map(String).join('.') || '(body)';
    if (path === 'currency' || path.endsWith('.currency') || path.startsWith('currencyRates')) {
      errors[path] ??= issue.code === 'too_small' || issue.code === 'too_big' ? messageOfIssue(issue) : { key: 'pricing.field.currency' };
    } else {
      errors[path] ??= messageOfIssue(issue);
    }
  }
}

/** The server's details (`{ field, reason }`) next to the same fields; its reason is shown as is. */
export function errorsOfDetails(details: readonly { field: string; reason: string }[] | undefined): FieldErrors {
  const errors: FieldErrors = {};
  for (const detail of details ?? []) errors[detail.field] ??= { key: 'pricing.field.other', params: { message: detail.reason } };
  return errors;
}

/** `<input type="datetime-local">` text in the local zone to epoch ms; undefined for empty or invalid. */
export function parseLocalDateTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return undefined;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

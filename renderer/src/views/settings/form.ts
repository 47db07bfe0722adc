import { settingsPatchSchema, type SettingsPatch } from '../../../../shared/schemas/settings.js';
import type { Settings } from '../../../../shared/types.js';
import { addIssues, parseNumber, type FieldErrors } from '../pricing/fields.js';

export const BREAKER_FIELDS = ['consecutiveFailures', 'windowSize', 'minResults', 'failureRate', 'baseBackoffSeconds', 'maxBackoffSeconds'] as const;
export type BreakerField = (typeof BREAKER_FIELDS)[number];

export interface RateRow {
  currency: string;
  rate: string;
}

/** The ledger's settings as typed in the form (text, so a half-typed value is shown back). */
export interface SettingsForm {
  runStaleSeconds: string;
  breaker: Record<BreakerField, string>;
  displayCurrency: string;
  rates: RateRow[];
}

export function formOf(settings: Settings): SettingsForm {
  return {
    runStaleSeconds: String(settings.runStaleSeconds),
    breaker: Object.fromEntries(BREAKER_FIELDS.map((field) => [field, String(settings.breaker[field])])) as Record<BreakerField, string>,
    displayCurrency: settings.displayCurrency ?? '',
    rates: Object.entries(settings.currencyRates)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, rate]) => ({ currency, rate: String(rate) })),
  };
}

export type PatchResult = { ok: true; patch: SettingsPatch } | { ok: false; errors: FieldErrors };

/**
 * Only what differs from the saved settings goes into the patch, so saving one threshold never
 * rewrites another that changed elsewhere meanwhile. Checked with the server's own schema.
 */
export function toPatch(form: SettingsForm, saved: Settings): PatchResult {
  const errors: FieldErrors = {};
  const patch: SettingsPatch = {};

  const stale = parseNumber(form.runStaleSeconds, true);
  if (!stale.ok) errors['runStaleSeconds'] = stale.error;
  else if (stale.value !== saved.runStaleSeconds) patch.runStaleSeconds = stale.value;

  const breaker: NonNullable<SettingsPatch['breaker']> = {};
  for (const field of BREAKER_FIELDS) {
    const parsed = parseNumber(form.breaker[field], true);
    if (!parsed.ok) errors[`breaker.${field}`] = parsed.error;
    else if (parsed.value !== saved.breaker[field]) breaker[field] = parsed.value;
  }
  if (Object.keys(breaker).length > 0) patch.breaker = breaker;
  const base = Number(form.breaker.baseBackoffSeconds);
  const max = Number(form.breaker.maxBackoffSeconds);
  if (!errors['breaker.maxBackoffSeconds'] && Number.isFinite(base) && Number.isFinite(max) && max < base) {
    errors['breaker.maxBackoffSeconds'] = { key: 'settings.error.maxBackoff' };
  }

  const display = form.displayCurrency.trim().toUpperCase();
  const displayValue = display === '' ? null : display;
  if (displayValue !== saved.displayCurrency) patch.displayCurrency = displayValue;

  const rates: Record<string, number> = {};
  form.rates.forEach((row, i) => {
    const code = row.currency.trim().toUpperCase();
    if (code === '' && row.rate.trim() === '') return;
    if (!/^[A-Z]{3}$/.test(code)) errors[`rates.${i}.currency`] = { key: 'pricing.field.currency' };
    else if (code in rates) errors[`rates.${i}.currency`] = { key: 'settings.error.duplicateRate' };
    const rate = parseNumber(row.rate, true);
    if (!rate.ok) errors[`rates.${i}.rate`] = rate.error;
    else if (rate.value !== undefined && rate.value <= 0) errors[`rates.${i}.rate`] = { key: 'settings.error.positive' };
    else if (rate.value !== undefined) rates[code] = rate.value;
  });
  if (!sameRates(rates, saved.currencyRates)) patch.currencyRates = rates;

  const checked = settingsPatchSchema.safeParse(patch);
  if (!checked.success) addIssues(errors, checked.error.issues);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, patch };
}

function sameRates(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}

/** The server names a rate by its code (`currencyRates.EUR`); the form shows it on that row. */
export function rowPathOf(field: string, form: SettingsForm): string {
  const match = /^currencyRates\.([A-Za-z]{3})$/.exec(field);
  if (!match) return field;
  const i = form.rates.findIndex((row) => row.currency.trim().toUpperCase() === match[1]!.toUpperCase());
  return i === -1 ? field : `rates.${i}.rate`;
}

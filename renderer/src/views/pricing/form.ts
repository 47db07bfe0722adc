import { priceVersionInputSchema, type PriceTier, type PricingMethod, type PriceVersionInput } from '../../../../shared/schemas/pricing.js';
import type { PriceVersion } from '../../../../shared/types.js';
import { addIssues, parseLocalDateTime, parseNumber, type FieldErrors } from './fields.js';

/** One tier as typed: prices per 1M tokens; an empty bound means "and above" (the last row). */
export interface TierRow {
  maxPromptTokens: string;
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
  /** Anthropic's 1-hour cache writes; empty bills them as other cache writes. */
  cacheWrite1h: string;
}

export interface PriceForm {
  method: PricingMethod;
  currency: string;
  /** `datetime-local` text; empty lets the server choose (beginning of history, or now). */
  effectiveFrom: string;
  tiers: TierRow[];
  hourly: string;
}

export const COMMON_CURRENCIES = ['USD', 'CNY', 'EUR'] as const;

export function emptyTier(): TierRow {
  return { maxPromptTokens: '', input: '', output: '', cacheRead: '', cacheWrite: '', cacheWrite1h: '' };
}

const text = (value: number | null | undefined): string => (value === null || value === undefined ? '' : String(value));

/** A new version starts from the one in force (prices change more often than their shape). */
export function formFrom(latest: PriceVersion | undefined): PriceForm {
  if (!latest) return { method: 'tokens', currency: 'USD', effectiveFrom: '', tiers: [emptyTier()], hourly: '' };
  return {
    method: latest.method,
    currency: latest.currency,
    effectiveFrom: '',
    tiers: latest.tiers?.length
      ? latest.tiers.map((tier) => ({
          maxPromptTokens: text(tier.maxPromptTokens),
          input: text(tier.input),
          output: text(tier.output),
          cacheRead: text(tier.cacheRead),
          cacheWrite: text(tier.cacheWrite),
          cacheWrite1h: text(tier.cacheWrite1h),
        }))
      : [emptyTier()],
    hourly: text(latest.hourly),
  };
}

export type FormResult = { ok: true; input: PriceVersionInput } | { ok: false; errors: FieldErrors };

/**
 * The form as the API's input, checked by the same schema the server uses, plus what only the form
 * can say: which row is out of order (the server sorts tiers itself, but a table typed out of order
 * is usually a typo).
 */
export function toVersionInput(form: PriceForm): FormResult {
  const errors: FieldErrors = {};
  const input: Record<string, unknown> = { method: form.method, currency: form.currency.trim().toUpperCase() };

  if (form.effectiveFrom.trim() !== '') {
    const ms = parseLocalDateTime(form.effectiveFrom);
    if (ms === undefined) errors['effectiveFrom'] = { key: 'pricing.field.date' };
    else input['effectiveFrom'] = ms;
  }

  if (form.method === 'tokens') {
    const tiers: Partial<PriceTier>[] = [];
    form.tiers.forEach((row, i) => {
      const tier: Record<string, number | null | undefined> = {};
      const fields = [
        ['input', true],
        ['output', true],
        ['cacheRead', false],
        ['cacheWrite', false],
        ['cacheWrite1h', false],
      ] as const;
      for (const [field, required] of fields) {
        const parsed = parseNumber(row[field], required);
        if (!parsed.ok) errors[`tiers.${i}.${field}`] = parsed.error;
        else if (parsed.value !== undefined) tier[field] = parsed.value;
      }
      const bound = parseNumber(row.maxPromptTokens, false);
      if (!bound.ok) errors[`tiers.${i}.maxPromptTokens`] = bound.error;
      else tier['maxPromptTokens'] = bound.value ?? null;
      tiers.push(tier as Partial<PriceTier>);
    });
    checkOrder(tiers, errors);
    input['tiers'] = tiers;
  } else if (form.method === 'hourly') {
    const parsed = parseNumber(form.hourly, true);
    if (!parsed.ok) errors['hourly'] = parsed.error;
    else input['hourly'] = parsed.value;
  }

  const result = priceVersionInputSchema.safeParse(input);
  if (!result.success) addIssues(errors, result.error.issues);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: input as PriceVersionInput };
}

function checkOrder(tiers: Partial<PriceTier>[], errors: FieldErrors): void {
  let previous = 0;
  tiers.forEach((tier, i) => {
    const path = `tiers.${i}.maxPromptTokens`;
    if (errors[path]) return;
    const bound = tier.maxPromptTokens;
    if (bound === null || bound === undefined) {
      if (i < tiers.length - 1) errors[path] = { key: 'pricing.field.unboundedLast' };
      return;
    }
    if (bound <= previous) errors[path] = { key: 'pricing.field.ascending', params: { previous } };
    previous = Math.max(previous, bound);
  });
}

import { settingsPatchSchema, type SettingsPatch } from '../../../../shared/schemas/settings.js';
import type { Settings } from '../../../../shared/types.js';
import { addIssues, parseNumber, type FieldErrors } from '../pricing/fields.js';

/**
 * One OTLP header as typed. Values are write-only: a stored header shows its masked value as a hint
 * and an empty value keeps what is stored (sent as null), so the UI never holds or resends a secret.
 */
export interface HeaderRow {
  name: string;
  value: string;
  /** The stored header this row started as (its name then), or null for a row the user added. */
  original: string | null;
  /** The stored value's mask, for recognising it. */
  mask: string | null;
}

/** The monitoring settings as typed in the form. */
export interface MonitoringForm {
  maxModels: string;
  anonymousLoopback: boolean;
  otlpEnabled: boolean;
  otlpUrl: string;
  intervalSeconds: string;
  headers: HeaderRow[];
}

export function monitoringFormOf(settings: Settings): MonitoringForm {
  return {
    maxModels: String(settings.metricsMaxModels),
    anonymousLoopback: settings.metricsAllowAnonymousLoopback,
    otlpEnabled: settings.otlpEnabled,
    otlpUrl: settings.otlpUrl ?? '',
    intervalSeconds: String(settings.otlpIntervalSeconds),
    headers: Object.entries(settings.otlpHeaders)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, mask]) => ({ name, value: '', original: name, mask })),
  };
}

export type MonitoringPatch = { ok: true; patch: SettingsPatch } | { ok: false; errors: FieldErrors };

/** The metrics endpoint beside the API (it lives outside /api/v1). */
export function metricsUrlOf(apiUrl: string): string {
  return `${apiUrl.replace(/\/api\/v1\/?$/, '')}/metrics`;
}

/** Only what differs from the saved settings goes into the patch; checked with the server's schema. */
export function monitoringPatch(form: MonitoringForm, saved: Settings): MonitoringPatch {
  const errors: FieldErrors = {};
  const patch: SettingsPatch = {};

  const maxModels = parseNumber(form.maxModels, true);
  if (!maxModels.ok) errors['metricsMaxModels'] = maxModels.error;
  else if (maxModels.value !== saved.metricsMaxModels) patch.metricsMaxModels = maxModels.value;
  if (form.anonymousLoopback !== saved.metricsAllowAnonymousLoopback) patch.metricsAllowAnonymousLoopback = form.anonymousLoopback;
  if (form.otlpEnabled !== saved.otlpEnabled) patch.otlpEnabled = form.otlpEnabled;
  const url = form.otlpUrl.trim() === '' ? null : form.otlpUrl.trim();
  if (url !== saved.otlpUrl) patch.otlpUrl = url;
  if (form.otlpEnabled && url === null) errors['otlpUrl'] = { key: 'monitoring.error.urlRequired' };
  const interval = parseNumber(form.intervalSeconds, true);
  if (!interval.ok) errors['otlpIntervalSeconds'] = interval.error;
  else if (interval.value !== saved.otlpIntervalSeconds) patch.otlpIntervalSeconds = interval.value;

  const headers: Record<string, string | null> = {};
  let headersChanged = false;
  const seen = new Set<string>();
  form.headers.forEach((row, i) => {
    const name = row.name.trim();
    if (name === '' && row.value === '' && row.original === null) return;
    if (name === '') errors[`headers.${i}.name`] = { key: 'pricing.field.required' };
    else if (seen.has(name.toLowerCase())) errors[`headers.${i}.name`] = { key: 'monitoring.error.duplicateHeader' };
    seen.add(name.toLowerCase());
    const keeps = row.value === '' && row.original !== null && row.original === name;
    if (row.value === '' && !keeps) errors[`headers.${i}.value`] = { key: 'pricing.field.required' };
    if (!keeps) headersChanged = true;
    headers[name] = keeps ? null : row.value;
  });
  const savedNames = Object.keys(saved.otlpHeaders);
  if (savedNames.length !== Object.keys(headers).length || savedNames.some((name) => !(name in headers))) headersChanged = true;
  if (headersChanged) patch.otlpHeaders = headers;

  const checked = settingsPatchSchema.safeParse(patch);
  if (!checked.success) {
    const issues: FieldErrors = {};
    addIssues(issues, checked.error.issues);
    for (const [path, message] of Object.entries(issues)) errors[monitoringPathOf(path, form)] ??= message;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, patch };
}

/** The server and the schema name a header by its name ("otlpHeaders.x-key"); the form by its row. */
export function monitoringPathOf(path: string, form: MonitoringForm): string {
  if (path === 'otlpHeaders') return 'headers';
  if (!path.startsWith('otlpHeaders.')) return path;
  const name = path.slice('otlpHeaders.'.length);
  const row = form.headers.findIndex((header) => header.name.trim() === name);
  return row < 0 ? 'headers' : `headers.${row}.value`;
}

import { forwardingUpdateSchema, type ForwardingStatus, type ForwardingUpdate } from '../../../../shared/schemas/forwarding.js';
import type { FieldErrors, FieldMessage } from '../pricing/fields.js';

/**
 * Forwarding as typed in Settings. The token is write-only like the OTLP headers: the stored one
 * shows as its mask, an empty field keeps it (the update leaves `token` out), and "Remove token"
 * sends null. An empty name keeps the current one (shown as the placeholder).
 */
export interface ForwardingForm {
  enabled: boolean;
  targetUrl: string;
  token: string;
  clearToken: boolean;
  hostName: string;
}

export function forwardingFormOf(status: ForwardingStatus): ForwardingForm {
  return { enabled: status.enabled, targetUrl: status.targetUrl ?? '', token: '', clearToken: false, hostName: '' };
}

export type ForwardingChecked = { ok: true; update: ForwardingUpdate } | { ok: false; errors: FieldErrors };

/** What to send, checked with the server's schema; problems by field (targetUrl, token, hostName). */
export function forwardingUpdate(form: ForwardingForm, saved: ForwardingStatus): ForwardingChecked {
  const errors: FieldErrors = {};
  const targetUrl = form.targetUrl.trim() === '' ? null : form.targetUrl.trim();
  const update: ForwardingUpdate = { enabled: form.enabled, targetUrl };
  if (form.token !== '') update.token = form.token;
  else if (form.clearToken && saved.tokenMask !== null) update.token = null;
  const hostName = form.hostName.trim();
  if (hostName !== '' && hostName !== saved.hostName) update.hostName = hostName;

  if (form.enabled && targetUrl === null) errors['targetUrl'] = { key: 'forwarding.error.urlRequired' };
  const checked = forwardingUpdateSchema.safeParse(update);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = String(issue.path[0] ?? '(body)');
      errors[field] ??= messageOf(field, issue.code, 'maximum' in issue ? Number(issue.maximum) : undefined, issue.message);
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, update };
}

function messageOf(field: string, code: string, maximum: number | undefined, message: string): FieldMessage {
  if (code === 'too_big' && maximum !== undefined) return { key: 'forwarding.error.tooLong', params: { max: maximum } };
  if (field === 'targetUrl') return { key: 'forwarding.error.url' };
  if (field === 'hostName') return { key: 'forwarding.error.hostName' };
  return { key: 'pricing.field.other', params: { message } };
}

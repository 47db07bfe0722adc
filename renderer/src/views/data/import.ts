import type { ErrorCode } from '../../../../shared/errors.js';
import { importRequestSchema, type ImportRequest } from '../../../../shared/schemas/integrations.js';
import type { MessageKey } from '../../lib/i18n/i18n.svelte.js';

export interface ImportForm {
  path: string;
  currency: string;
  programRuntime: 'skip' | 'as-model';
}

export type ImportCheck = { ok: true; request: ImportRequest } | { ok: false; errors: Partial<Record<'path' | 'currency', MessageKey>> };

/** The request the form describes, checked with the server's schema before anything is sent. */
export function checkImport(form: ImportForm): ImportCheck {
  const request: ImportRequest = { path: form.path.trim(), currency: form.currency.trim().toUpperCase(), programRuntime: form.programRuntime };
  const checked = importRequestSchema.safeParse(request);
  if (checked.success) return { ok: true, request };
  const errors: Partial<Record<'path' | 'currency', MessageKey>> = {};
  for (const issue of checked.error.issues) {
    if (issue.path[0] === 'path') errors.path ??= 'data.import.pathRequired';
    else if (issue.path[0] === 'currency') errors.currency ??= 'data.import.currencyInvalid';
  }
  return { ok: false, errors };
}

/**
 * The headline of a failed import by its code: a missing file, a file that is not one of the known
 * databases (the server's message then says what it found), or an import already running.
 */
export function errorKey(code: ErrorCode): MessageKey {
  switch (code) {
    case 'not_found':
    case 'bad_request':
    case 'conflict':
    case 'validation_failed':
    case 'unavailable':
      return `data.import.error.${code}`;
    default:
      return 'data.import.error.other';
  }
}

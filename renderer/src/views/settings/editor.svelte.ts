import type { ApiError } from '../../../../shared/errors.js';
import { t } from '../../lib/i18n/i18n.svelte.js';
import { toApiError } from '../../lib/state/resource.svelte.js';
import type { FieldErrors } from '../pricing/fields.js';

/** A form's own check: what to send, or the problems by field path. */
export type Checked = { ok: true } | { ok: false; errors: FieldErrors };

/**
 * The state every settings form keeps around a save. The form's own problems show only once it
 * has been submitted (nobody wants "required" while still typing) and then win over the server's,
 * which stay until the next save.
 */
export class EditorState<C extends Checked> {
  submitted = $state(false);
  serverErrors = $state<FieldErrors>({});
  error = $state<ApiError | null>(null);
  busy = $state(false);
  readonly errors = $derived.by<FieldErrors>(() => {
    const checked = this.#check();
    return { ...this.serverErrors, ...(this.submitted && !checked.ok ? checked.errors : {}) };
  });

  readonly #check: () => C;
  readonly #errorsOf: (details: ApiError['details']) => FieldErrors;

  /** `errorsOf` turns the server's error details into field problems (paths as the form names them). */
  constructor(check: () => C, errorsOf: (details: ApiError['details']) => FieldErrors) {
    this.#check = check;
    this.#errorsOf = errorsOf;
  }

  /** The translated problem of one field path, if it has one. */
  errorText = (path: string): string | undefined => {
    const message = this.errors[path];
    return message ? t(message.key, message.params) : undefined;
  };

  /** Checks, then runs `send` with what passed; a failure is kept as the error and its field problems. */
  async submit(event: SubmitEvent, send: (checked: Extract<C, { ok: true }>) => Promise<void>): Promise<void> {
    event.preventDefault();
    this.submitted = true;
    this.serverErrors = {};
    this.error = null;
    const checked = this.#check();
    if (!checked.ok) return;
    this.busy = true;
    try {
      await send(checked as Extract<C, { ok: true }>);
    } catch (caught) {
      this.error = toApiError(caught);
      this.serverErrors = this.#errorsOf(this.error.details);
    } finally {
      this.busy = false;
    }
  }

  /** Back to untouched: no problems shown until the next submit. */
  reset(): void {
    this.submitted = false;
    this.serverErrors = {};
    this.error = null;
  }
}

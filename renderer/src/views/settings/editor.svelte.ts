import { untrack } from 'svelte';
import type { ApiError } from '../../../../shared/errors.js';
import type { SettingsPatch } from '../../../../shared/schemas/settings.js';
import type { Settings } from '../../../../shared/types.js';
import { t } from '../../lib/i18n/i18n.svelte.js';
import { toApiError } from '../../lib/state/resource.svelte.js';
import { errorsOfDetails, type FieldErrors } from '../pricing/fields.js';

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

/** A settings form's check: the patch of what changed, or the problems by field path. */
export type SettingsChecked = { ok: true; patch: SettingsPatch } | { ok: false; errors: FieldErrors };

/**
 * A form over part of the saved settings, saved as a patch: what it shows, whether it differs
 * from the saved settings, and the save itself. Made while a component starts (it keeps an effect).
 */
export class SettingsDraft<F> {
  form = $state() as F;
  /** The last save went through and nothing has been typed since. */
  done = $state(false);
  readonly editor: EditorState<SettingsChecked>;
  readonly dirty = $derived.by(() => JSON.stringify(this.form) !== JSON.stringify(this.#formOf(this.#saved())));

  readonly #saved: () => Settings;
  readonly #formOf: (settings: Settings) => F;
  readonly #update: (patch: SettingsPatch) => Promise<Settings>;
  readonly #onsaved: (settings: Settings) => void;
  #base: F;

  /** `pathOf` turns a field the server names into the form's path for it. */
  constructor(options: {
    saved: () => Settings;
    formOf: (settings: Settings) => F;
    toPatch: (form: F, saved: Settings) => SettingsChecked;
    pathOf: (field: string, form: F) => string;
    update: (patch: SettingsPatch) => Promise<Settings>;
    onsaved: (settings: Settings) => void;
  }) {
    const { saved, formOf, toPatch, pathOf } = options;
    this.#saved = saved;
    this.#formOf = formOf;
    this.#update = options.update;
    this.#onsaved = options.onsaved;
    this.form = formOf(saved());
    this.#base = formOf(saved());
    this.editor = new EditorState(
      () => toPatch(this.form, saved()),
      (details) => Object.fromEntries(Object.entries(errorsOfDetails(details)).map(([field, message]) => [pathOf(field, this.form), message])),
    );

    // Settings saved elsewhere (another window, the CLI) show up unless the user is editing.
    $effect(() => {
      const next = formOf(saved());
      untrack(() => {
        if (JSON.stringify(this.form) === JSON.stringify(this.#base)) this.form = next;
        this.#base = next;
      });
    });
  }

  save = (event: SubmitEvent): Promise<void> => {
    this.done = false;
    return this.editor.submit(event, async (checked) => {
      const next = await this.#update(checked.patch);
      this.editor.submitted = false;
      this.form = this.#formOf(next);
      this.#base = this.#formOf(next);
      this.#onsaved(next);
      this.done = true;
    });
  };

  reset = (): void => {
    this.form = this.#formOf(this.#saved());
    this.editor.reset();
    this.done = false;
  };
}

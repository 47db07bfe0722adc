import type { ModelDeleteResult } from '../../../../shared/types.js';

/** What the list says after the detail view deleted a model and navigated back to it. */
export const flash = $state<{ deleted: ModelDeleteResult | null }>({ deleted: null });

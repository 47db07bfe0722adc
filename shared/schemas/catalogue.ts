import { z } from 'zod';

/** Search results are bounded: the catalogue holds ~1,000 entries and a view shows a page of them. */
export const CATALOGUE_SEARCH_MAX = 50;

/** The query of GET /catalogue: words all found in the provider, model id or name; an optional provider id. */
export const catalogueQuerySchema = z.strictObject({
  search: z.string({ error: 'search is required: ?search=<text>' }).trim().min(1, 'search is required: ?search=<text>').max(100),
  provider: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,40}$/, 'provider is a catalogue provider id such as openai or anthropic')
    .optional(),
  limit: z.coerce.number().int().min(1).max(CATALOGUE_SEARCH_MAX).default(20),
});
export type CatalogueQuery = z.input<typeof catalogueQuerySchema>;

/** Applying a checked download names the version the check answered, so what is kept is what was shown. */
export const catalogueApplySchema = z.strictObject({
  version: z.string({ error: 'version is required: the candidate version from the update check' }).min(1).max(200),
});
export type CatalogueApplyInput = z.input<typeof catalogueApplySchema>;

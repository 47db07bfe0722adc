/**
 * The bundled price catalogue: @pydantic/genai-prices, offline. Kept in step with package.json by a
 * test, and written into every catalogue-priced request's provenance.
 */
export const CATALOGUE_PACKAGE = '@pydantic/genai-prices';
export const CATALOGUE_VERSION = '0.1.8';

import { getJson, isRecord, LauncherError, validModelNames, type DriverContext, type LauncherDriver } from './launcher-http.js';

/**
 * Ollama: `GET /api/ps` lists the models loaded into memory right now,
 * `{ "models": [{ "name": "gemma3", "model": "gemma3", "size": …, "expires_at": …, … }] }`
 * (docs.ollama.com/api/ps). A model is up while it is listed.
 */
export function ollamaDriver(ctx: DriverContext): LauncherDriver {
  return {
    async poll(signal) {
      const body = await getJson(ctx, '/api/ps', signal);
      if (!isRecord(body) || !Array.isArray(body.models)) throw new LauncherError('unexpected answer from /api/ps: no models list');
      return validModelNames(body.models.map((entry) => (isRecord(entry) ? (entry.name ?? entry.model) : undefined)));
    },
  };
}

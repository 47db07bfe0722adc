import { ApiError, type Envelope } from '../../../../shared/errors.js';

export const INTERNAL_MESSAGE = 'Something went wrong inside ModelMeter. The details are in its log.';

/**
 * Runs one operation and answers as data. An ApiError keeps its code and message; anything else is
 * a bug whose text may hold paths or SQL, so the renderer gets a plain message and the log the rest.
 */
export async function envelopeOf<T>(work: () => Promise<T>, log: (message: string) => void): Promise<Envelope<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.toBody() };
    log(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ok: false, error: { code: 'internal', message: INTERNAL_MESSAGE } };
  }
}

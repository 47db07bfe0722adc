import { ApiError } from '../../shared/errors.js';
import { breakerContradictions, settingsPatchSchema, type SettingsPatch } from '../../shared/schemas/settings.js';
import type { Settings } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { DomainService } from './domain-service.js';

/** A patch's fields that are set: `{ a: undefined }` must not overwrite a stored value. */
function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The ledger's settings: retention, display currency and rates, breaker and run timing. */
export class SettingsService extends DomainService {
  async getSettings(): Promise<Settings> {
    return this.ledger.settings.get();
  }

  async updateSettings(patch: SettingsPatch): Promise<Settings> {
    const parsed = parseInput(settingsPatchSchema, patch, 'settings');
    const problems = breakerContradictions({ ...this.ledger.settings.get().breaker, ...stripUndefined(parsed.breaker ?? {}) });
    if (problems.length > 0) {
      throw new ApiError('validation_failed', `invalid settings: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`, problems);
    }
    const settings = this.ledger.write(() => this.ledger.settings.update(parsed));
    this.events.emit({ type: 'data', reason: 'settings' });
    return settings;
  }
}

import { ApiError } from '../../shared/errors.js';
import { breakerContradictions, settingsPatchSchema, type SettingsPatch } from '../../shared/schemas/settings.js';
import type { OtlpPushStatus, Settings } from '../../shared/types.js';
import { maskKey } from '../ledger/channels/metrics-key.js';
import { parseInput } from '../ledger/input/validation.js';
import type { OtlpHeaderVault } from '../sources/secrets/otlp-headers.js';
import { DomainService, type ServiceContext } from './domain-service.js';

/** A patch's fields that are set: `{ a: undefined }` must not overwrite a stored value. */
function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The settings key under which an earlier version kept the OTLP headers in the database. */
const LEGACY_HEADERS_KEY = 'otlpHeaders';

/**
 * The ledger's settings: retention, display currency and rates, breaker and run timing, metrics. The
 * OTLP headers are the exception: kept in the header vault (a file beside the database), answered
 * with masked values only.
 */
export class SettingsService extends DomainService {
  constructor(
    context: ServiceContext,
    private readonly otlpHeaders: OtlpHeaderVault,
    /** The push's state, from the metrics service (which starts and stops it). */
    private readonly otlpStatus: () => OtlpPushStatus,
  ) {
    super(context);
    this.moveLegacyHeaders();
  }

  async getSettings(): Promise<Settings> {
    return this.answer();
  }

  async updateSettings(patch: SettingsPatch): Promise<Settings> {
    const parsed = parseInput(settingsPatchSchema, patch, 'settings');
    const { otlpHeaders: headerPatch, ...stored } = parsed;
    const current = this.ledger.settings.get();
    const problems = breakerContradictions({ ...current.breaker, ...stripUndefined(parsed.breaker ?? {}) });
    // Checked only when the patch touches the push, so an older contradictory state blocks nothing else.
    if (stored.otlpEnabled !== undefined || stored.otlpUrl !== undefined) {
      const merged = { ...current, ...stripUndefined(stored) };
      if (merged.otlpEnabled && !merged.otlpUrl) problems.push({ field: 'otlpUrl', reason: 'is required to switch the OTLP push on (the collector\'s OTLP/HTTP metrics URL)' });
    }
    let headers: Record<string, string> | null = null;
    if (headerPatch) {
      const held = this.otlpHeaders.get();
      headers = {};
      for (const [name, value] of Object.entries(headerPatch)) {
        const kept = value ?? held[name];
        if (kept === undefined) problems.push({ field: `otlpHeaders.${name}`, reason: 'has no stored value to keep: give its value' });
        else headers[name] = kept;
      }
    }
    if (problems.length > 0) {
      throw new ApiError('validation_failed', `invalid settings: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`, problems);
    }
    try {
      this.ledger.write(() => {
        this.ledger.settings.update(stored);
        // Last, inside the transaction: a failed file write rolls the rest of the patch back.
        if (headers) this.otlpHeaders.replace(headers);
      });
    } catch (error) {
      this.ledger.settings.invalidate();
      throw error;
    }
    this.events.emit({ type: 'data', reason: 'settings' });
    return this.answer();
  }

  private answer(): Settings {
    const masked = Object.fromEntries(Object.entries(this.otlpHeaders.get()).map(([name, value]) => [name, maskKey(value)]));
    return { ...this.ledger.settings.get(), otlpHeaders: masked, otlpStatus: this.otlpStatus() };
  }

  /** Headers an earlier version stored in the database move to the vault (unless it holds some already). */
  private moveLegacyHeaders(): void {
    if (this.ledger.ctx.readonly || this.ledger.config.read(LEGACY_HEADERS_KEY) === undefined) return;
    this.ledger.write(() => {
      const legacy = this.ledger.settings.take(LEGACY_HEADERS_KEY);
      const entries = legacy !== null && typeof legacy === 'object' ? Object.entries(legacy).filter((entry): entry is [string, string] => typeof entry[1] === 'string') : [];
      if (entries.length > 0 && Object.keys(this.otlpHeaders.get()).length === 0) this.otlpHeaders.replace(Object.fromEntries(entries));
    });
  }
}

import { describe, expect, it } from 'vitest';
import { LedgerService } from '../../../electron/app/ledger-service.js';
import { MemoryOtlpHeaderVault } from '../../../electron/sources/secrets/otlp-headers.js';
import { Harness } from '../ledger/store/harness.js';

describe('settings: OTLP headers kept out of the database', () => {
  it('moves headers an earlier version stored in the settings table into the vault, and deletes the row', async () => {
    const h = new Harness(Date.UTC(2026, 0, 1));
    try {
      h.ledger.write(() => h.ledger.config.write('otlpHeaders', { 'x-api-key': 'legacy-secret-12345' }));
      const vault = new MemoryOtlpHeaderVault();
      const service = new LedgerService(h.ledger, { otlpHeaders: vault });
      expect(vault.get()).toEqual({ 'x-api-key': 'legacy-secret-12345' });
      expect(h.ledger.config.read('otlpHeaders')).toBeUndefined();
      const settings = await service.getSettings();
      expect(settings.otlpHeaders).toEqual({ 'x-api-key': 'lega…2345' });
      expect(JSON.stringify(settings)).not.toContain('legacy-secret-12345');
    } finally {
      h.close();
    }
  });

  it('keeps the vault when it already holds headers (the database row is the older copy)', () => {
    const h = new Harness(Date.UTC(2026, 0, 1));
    try {
      h.ledger.write(() => h.ledger.config.write('otlpHeaders', { 'x-api-key': 'old' }));
      const vault = new MemoryOtlpHeaderVault();
      vault.replace({ 'x-api-key': 'new' });
      new LedgerService(h.ledger, { otlpHeaders: vault });
      expect(vault.get()).toEqual({ 'x-api-key': 'new' });
      expect(h.ledger.config.read('otlpHeaders')).toBeUndefined();
    } finally {
      h.close();
    }
  });

  it('rolls the whole patch back when the header file cannot be written', async () => {
    const h = new Harness(Date.UTC(2026, 0, 1));
    try {
      const vault = new MemoryOtlpHeaderVault();
      vault.replace = () => {
        throw new Error('disk full');
      };
      const service = new LedgerService(h.ledger, { otlpHeaders: vault });
      await expect(service.updateSettings({ retentionDays: 5, otlpHeaders: { a: 'b' } })).rejects.toThrow('disk full');
      expect((await service.getSettings()).retentionDays).toBe(90);
    } finally {
      h.close();
    }
  });
});

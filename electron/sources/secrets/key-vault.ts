import path from 'node:path';
import { SecretFile } from './secret-file.js';

/**
 * Upstream API keys the app holds for proxy channels. The ledger database never sees a key (it keeps
 * metricsKeys and masks only); keys live in their own file in the data folder, readable by the owner
 * only, written whole and renamed into place so a crash leaves the old file or the new one.
 */
export interface KeyVault {
  get(channelId: string): string | undefined;
  /** Replaces every held key at once. */
  replaceAll(keys: ReadonlyMap<string, string>): void;
}

export const KEY_FILE = 'channel-keys.json';

export class MemoryKeyVault implements KeyVault {
  private keys = new Map<string, string>();

  get(channelId: string): string | undefined {
    return this.keys.get(channelId);
  }

  replaceAll(keys: ReadonlyMap<string, string>): void {
    this.keys = new Map(keys);
  }
}

export class FileKeyVault implements KeyVault {
  private readonly store: SecretFile;
  private keys: Map<string, string>;

  constructor(file: string) {
    this.store = new SecretFile(file, 'a JSON object of channel id -> API key', 'proxy channels then need their API keys again');
    this.keys = this.store.read();
  }

  static inFolder(dataDir: string): FileKeyVault {
    return new FileKeyVault(path.join(dataDir, KEY_FILE));
  }

  get(channelId: string): string | undefined {
    return this.keys.get(channelId);
  }

  replaceAll(keys: ReadonlyMap<string, string>): void {
    this.store.write(keys);
    this.keys = new Map(keys);
  }
}

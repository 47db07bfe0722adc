import fs from 'node:fs';
import path from 'node:path';

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
  private keys: Map<string, string>;

  constructor(private readonly file: string) {
    this.keys = FileKeyVault.read(file);
  }

  static inFolder(dataDir: string): FileKeyVault {
    return new FileKeyVault(path.join(dataDir, KEY_FILE));
  }

  private static read(file: string): Map<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not valid JSON: fix or remove it (proxy channels then need their API keys again)`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file} must hold a JSON object of channel id -> API key`);
    return new Map(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  }

  get(channelId: string): string | undefined {
    return this.keys.get(channelId);
  }

  replaceAll(keys: ReadonlyMap<string, string>): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(Object.fromEntries(keys), null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, this.file);
    this.keys = new Map(keys);
  }
}

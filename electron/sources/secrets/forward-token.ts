import path from 'node:path';
import { SecretFile } from './secret-file.js';

/**
 * The token this machine presents to the ModelMeter it forwards to. Like the channels' keys it never
 * reaches the database, an answer or a log: it lives in its own file in the data folder (mode 0600;
 * memory in tests), and the forwarding status shows a mask.
 */
export interface ForwardTokenVault {
  get(): string | null;
  /** null removes it. */
  set(token: string | null): void;
}

export const FORWARD_TOKEN_FILE = 'forward-token.json';

export class MemoryForwardTokenVault implements ForwardTokenVault {
  private token: string | null = null;

  get(): string | null {
    return this.token;
  }

  set(token: string | null): void {
    this.token = token;
  }
}

export class FileForwardTokenVault implements ForwardTokenVault {
  private readonly store: SecretFile;
  private token: string | null;

  constructor(file: string) {
    this.store = new SecretFile(file, 'a JSON object {"token": "..."}', 'forwarding then needs the target token again');
    this.token = this.store.read().get('token') ?? null;
  }

  static inFolder(dataDir: string): FileForwardTokenVault {
    return new FileForwardTokenVault(path.join(dataDir, FORWARD_TOKEN_FILE));
  }

  get(): string | null {
    return this.token;
  }

  set(token: string | null): void {
    this.store.write(token === null ? new Map() : new Map([['token', token]]));
    this.token = token;
  }
}

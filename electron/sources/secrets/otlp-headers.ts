import path from 'node:path';
import { SecretFile } from './secret-file.js';

/**
 * The headers sent with every OTLP export (a collector's API key, typically). Like the proxy channels'
 * keys they never reach the database, the settings answers or the logs: they live in their own file in
 * the data folder (memory in tests), and the settings show their names with masked values.
 */
export interface OtlpHeaderVault {
  get(): Record<string, string>;
  /** Replaces every header at once. */
  replace(headers: Readonly<Record<string, string>>): void;
}

export const OTLP_HEADERS_FILE = 'otlp-headers.json';

export class MemoryOtlpHeaderVault implements OtlpHeaderVault {
  private headers: Record<string, string> = {};

  get(): Record<string, string> {
    return { ...this.headers };
  }

  replace(headers: Readonly<Record<string, string>>): void {
    this.headers = { ...headers };
  }
}

export class FileOtlpHeaderVault implements OtlpHeaderVault {
  private readonly store: SecretFile;
  private headers: Record<string, string>;

  constructor(file: string) {
    this.store = new SecretFile(file, 'a JSON object of header name -> value', 'the OTLP push then needs its headers again');
    this.headers = Object.fromEntries(this.store.read());
  }

  static inFolder(dataDir: string): FileOtlpHeaderVault {
    return new FileOtlpHeaderVault(path.join(dataDir, OTLP_HEADERS_FILE));
  }

  get(): Record<string, string> {
    return { ...this.headers };
  }

  replace(headers: Readonly<Record<string, string>>): void {
    this.store.write(new Map(Object.entries(headers)));
    this.headers = { ...headers };
  }
}

import fs from 'node:fs';

/**
 * A JSON object of secrets (API keys, collector headers) in its own file in the data folder: never in
 * the database, readable by the owner only, written whole and renamed into place so a crash leaves
 * the old file or the new one.
 */
export class SecretFile {
  constructor(
    readonly file: string,
    /** What to tell the user about a file that cannot be read, e.g. "a JSON object of channel id -> API key". */
    private readonly holds: string,
    /** What removing a broken file costs the user. */
    private readonly lossIfRemoved: string,
  ) {}

  /** The string entries of the file; an absent file holds none. */
  read(): Map<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.file} is not valid JSON: fix or remove it (${this.lossIfRemoved})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${this.file} must hold ${this.holds}`);
    return new Map(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  }

  /** Replaces the whole file: a temporary file (mode 0600 from its creation) renamed over it. */
  write(entries: ReadonlyMap<string, string>): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`, { mode: 0o600 });
    // writeFileSync's mode is filtered by the umask and ignored when the file already existed.
    fs.chmodSync(temp, 0o600);
    fs.renameSync(temp, this.file);
  }
}

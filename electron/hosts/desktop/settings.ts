import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LANGUAGES, type Language } from '../../../shared/app.js';
import { DEFAULT_PORT } from '../core/start-core.js';

export const DESKTOP_SETTINGS_FILE = 'desktop-settings.json';

/**
 * What only the desktop app keeps, beside the ledger's own settings: the port it listens on (read at
 * start, so a change waits for the next one) and the language chosen for the tray and windows.
 */
export interface DesktopSettings {
  port: number;
  /** Null follows the OS. */
  language: Language | null;
}

const portSchema = z.number().int().min(1).max(65_535);
const fileSchema = z.object({
  port: portSchema.optional(),
  language: z.enum(LANGUAGES).nullable().optional(),
});

export const DEFAULT_DESKTOP_SETTINGS: DesktopSettings = { port: DEFAULT_PORT, language: null };

export class DesktopSettingsFile {
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.file = path.join(dataDir, DESKTOP_SETTINGS_FILE);
  }

  /** A missing or damaged file gives the defaults: settings must never stop the app from starting. */
  read(): DesktopSettings {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`cannot read ${this.file}: ${(error as Error).message}`);
      return { ...DEFAULT_DESKTOP_SETTINGS };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.log(`${this.file} is not valid JSON; using the defaults`);
      return { ...DEFAULT_DESKTOP_SETTINGS };
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      this.log(`${this.file} has invalid values; using the defaults`);
      return { ...DEFAULT_DESKTOP_SETTINGS };
    }
    return { port: parsed.data.port ?? DEFAULT_PORT, language: parsed.data.language ?? null };
  }

  update(patch: Partial<DesktopSettings>): DesktopSettings {
    const next = { ...this.read(), ...patch };
    // Write then rename: a crash mid-write leaves the old file, not half of a new one.
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
    fs.renameSync(temporary, this.file);
    return next;
  }
}

/** MODELMETER_PORT wins over the saved port, as it does for the headless server. */
export function choosePort(settings: DesktopSettings, env: NodeJS.ProcessEnv): number {
  const fromEnv = env['MODELMETER_PORT'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const port = Number(fromEnv);
    if (portSchema.safeParse(port).success) return port;
  }
  return settings.port;
}

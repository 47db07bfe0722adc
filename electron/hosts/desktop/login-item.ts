import fs from 'node:fs';
import path from 'node:path';
import type { AppLike } from './electron-api.js';

/** Starting the app at login: Electron's API on Windows and macOS, an XDG autostart entry on Linux. */
export interface LoginItem {
  /** Null where it cannot be done (see `unavailable`). */
  get(): boolean | null;
  set(enabled: boolean): void;
  /** Why get() is null: 'development' for an unpackaged run. */
  readonly unavailable?: 'development';
}

type LoginItemApp = Pick<AppLike, 'getLoginItemSettings' | 'setLoginItemSettings'>;

/**
 * Windows: the Run registry value holds the command line, and Electron compares `args` when it
 * reads it back, so get() must pass the same args set() wrote or it always answers false.
 */
export class WindowsLoginItem implements LoginItem {
  constructor(private readonly app: LoginItemApp) {}

  get(): boolean {
    return this.app.getLoginItemSettings({ args: [HIDDEN_FLAG] }).openAtLogin;
  }

  set(enabled: boolean): void {
    this.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
  }
}

/**
 * macOS (13 and later: SMAppService): login items take no arguments and `openAsHidden` is gone
 * since Electron 44; the app asks `wasOpenedAtLogin` at start instead (startedAtLogin below).
 */
export class MacLoginItem implements LoginItem {
  constructor(private readonly app: LoginItemApp) {}

  get(): boolean {
    return this.app.getLoginItemSettings().openAtLogin;
  }

  set(enabled: boolean): void {
    this.app.setLoginItemSettings({ openAtLogin: enabled });
  }
}

/**
 * An unpackaged run is bare Electron plus a script, started by `npm start` with the Electron build
 * of better-sqlite3 in its environment: registered at login it would start Electron's default app
 * (Windows, macOS) or fail to open the ledger (Linux). Only the installed app offers the setting.
 */
export class DevelopmentLoginItem implements LoginItem {
  readonly unavailable = 'development' as const;

  get(): null {
    return null;
  }

  set(): void {
    throw new Error(DEVELOPMENT_REASON);
  }
}

export const DEVELOPMENT_REASON = 'launch at login is only offered by the installed app; a development run (npm start) would register bare Electron';

export const AUTOSTART_FILE = 'modelmeter.desktop';
/** Started at login: stay in the tray instead of opening the dashboard. */
export const HIDDEN_FLAG = '--hidden';

/**
 * Electron's login item API does nothing on Linux; desktops that follow the XDG autostart spec
 * (GNOME, KDE, Xfce, ...) start what has a .desktop file in ~/.config/autostart.
 */
export class XdgAutostart implements LoginItem {
  readonly file: string;

  constructor(
    configHome: string,
    /** The command that starts the app: the AppImage, or the installed binary. */
    private readonly command: readonly string[],
  ) {
    this.file = path.join(configHome, 'autostart', AUTOSTART_FILE);
  }

  get(): boolean {
    try {
      const text = fs.readFileSync(this.file, 'utf8');
      return !/^Hidden\s*=\s*true\s*$/im.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
    } catch {
      return false;
    }
  }

  set(enabled: boolean): void {
    if (!enabled) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const entry = [
      '[Desktop Entry]',
      'Type=Application',
      'Name=ModelMeter',
      'Comment=Local ledger of LLM use',
      `Exec=${this.command.map(quoteExecArgument).join(' ')}`,
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n');
    fs.writeFileSync(this.file, entry);
  }
}

/** Quoting per the Desktop Entry spec: arguments with reserved characters go in double quotes, with \ " ` $ escaped. */
export function quoteExecArgument(argument: string): string {
  if (argument !== '' && !/[\s"'\\`$<>~|&;*?#()%]/.test(argument)) return argument;
  return `"${argument.replace(/[\\"`$]/g, (char) => `\\${char}`).replace(/%/g, '%%')}"`;
}

export interface LoginItemContext {
  platform: NodeJS.Platform;
  /** app.isPackaged. */
  packaged: boolean;
  app: LoginItemApp;
  env: NodeJS.ProcessEnv;
  home: string;
  /** process.execPath and the arguments after it that start this app. */
  command: readonly string[];
}

export function loginItemFor(context: LoginItemContext): LoginItem {
  if (!context.packaged) return new DevelopmentLoginItem();
  if (context.platform === 'win32') return new WindowsLoginItem(context.app);
  if (context.platform === 'darwin') return new MacLoginItem(context.app);
  const configHome = context.env['XDG_CONFIG_HOME'] || path.join(context.home, '.config');
  // An AppImage runs from a temporary mount; the file itself is what must be started next time.
  const command = [...(context.env['APPIMAGE'] ? [context.env['APPIMAGE']] : context.command), HIDDEN_FLAG];
  return new XdgAutostart(configHome, command);
}

/**
 * Started by the login item: stay in the tray. Windows and Linux pass HIDDEN_FLAG; macOS login
 * items carry no arguments, so there the app asks Electron whether login opened it.
 */
export function startedAtLogin(argv: readonly string[], platform: NodeJS.Platform, app: Pick<AppLike, 'getLoginItemSettings'>): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}

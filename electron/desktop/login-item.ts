import fs from 'node:fs';
import path from 'node:path';
import type { AppLike } from './electron-api.js';

/** Starting the app at login: Electron's API on Windows and macOS, an XDG autostart entry on Linux. */
export interface LoginItem {
  /** Null where the platform offers no way to do it. */
  get(): boolean | null;
  set(enabled: boolean): void;
}

export class ElectronLoginItem implements LoginItem {
  constructor(private readonly app: Pick<AppLike, 'getLoginItemSettings' | 'setLoginItemSettings'>) {}

  get(): boolean {
    return this.app.getLoginItemSettings().openAtLogin;
  }

  set(enabled: boolean): void {
    // Windows passes the flag; macOS starts login items hidden by itself.
    this.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
  }
}

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
  app: Pick<AppLike, 'getLoginItemSettings' | 'setLoginItemSettings'>;
  env: NodeJS.ProcessEnv;
  home: string;
  /** process.execPath and the arguments after it that start this app. */
  command: readonly string[];
}

export function loginItemFor(context: LoginItemContext): LoginItem {
  if (context.platform === 'win32' || context.platform === 'darwin') return new ElectronLoginItem(context.app);
  const configHome = context.env['XDG_CONFIG_HOME'] || path.join(context.home, '.config');
  // An AppImage runs from a temporary mount; the file itself is what must be started next time.
  const command = [...(context.env['APPIMAGE'] ? [context.env['APPIMAGE']] : context.command), HIDDEN_FLAG];
  return new XdgAutostart(configHome, command);
}

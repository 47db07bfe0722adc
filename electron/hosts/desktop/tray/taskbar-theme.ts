import type { NativeThemeLike } from '../electron-api.js';

/**
 * Whether the bar the tray icon sits on is dark (so the icon needs a light glyph). It follows the
 * taskbar, not the app: on Windows the taskbar has its own light/dark setting, which Electron
 * exposes as shouldUseDarkColorsForSystemIntegratedUI (shouldUseDarkColors is the apps' setting and
 * the two differ in Windows' "Custom" colour mode). Linux offers no way to read a panel's colour
 * (StatusNotifierItem hosts draw the icon as given) and most panels are dark (GNOME's top bar, KDE's
 * default Breeze Dark panel...), so the light glyph is the default; MODELMETER_TRAY_THEME=light
 * asks for the dark glyph on a light panel. macOS uses a template image for the normal icon and
 * the menu bar's own appearance for the alert one.
 */
export function taskbarIsDark(platform: NodeJS.Platform, theme: Pick<NativeThemeLike, 'shouldUseDarkColors' | 'shouldUseDarkColorsForSystemIntegratedUI'>, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'win32') return theme.shouldUseDarkColorsForSystemIntegratedUI ?? theme.shouldUseDarkColors;
  if (platform === 'darwin') return theme.shouldUseDarkColors;
  return env['MODELMETER_TRAY_THEME'] !== 'light';
}

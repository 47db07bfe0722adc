/**
 * Whether Electron runs as a native Wayland client. Since Electron 38 (Chromium 140) the ozone
 * platform defaults to "auto", which picks Wayland when XDG_SESSION_TYPE is "wayland" or
 * WAYLAND_DISPLAY is set, unless --ozone-platform=x11 was given on the command line. Setting that
 * switch from the main script is too late (the platform is chosen before it runs), so the app
 * adapts instead: a Wayland client cannot place its windows or raise itself.
 */
export function isNativeWayland(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, argv: readonly string[]): boolean {
  if (platform !== 'linux') return false;
  const forced = argv.find((arg) => arg.startsWith('--ozone-platform='))?.slice('--ozone-platform='.length);
  if (forced) return forced === 'wayland';
  return env['XDG_SESSION_TYPE'] === 'wayland' || Boolean(env['WAYLAND_DISPLAY']);
}

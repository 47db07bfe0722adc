import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesktopPaths } from './desktop-app.js';

/**
 * Where the desktop's files are, from the built main (dist/electron/hosts/desktop/main.js): the renderer
 * and preload next to it in dist/, icons in build/ during development and in the package's
 * resources folder (electron-builder extraResources) once packaged.
 */
export function desktopPaths(mainUrl: string, packaged: boolean, resourcesPath: string): DesktopPaths {
  const here = path.dirname(fileURLToPath(mainUrl));
  const dist = path.resolve(here, '..', '..', '..');
  const repo = path.dirname(dist);
  const resources = packaged ? resourcesPath : path.join(repo, 'build');
  return {
    rendererDir: path.join(dist, 'renderer'),
    preload: path.join(dist, 'preload', 'preload.cjs'),
    trayIconDir: path.join(resources, 'tray'),
    windowIcon: path.join(resources, 'icon.png'),
  };
}

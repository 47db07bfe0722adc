/**
 * The Electron entry: the only file that imports 'electron'. It hands the real objects to
 * DesktopApp and reports a failed start in a dialog, since a tray app has no terminal to print to.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, screen, shell, Tray } from 'electron';
import { DataDirError } from '../core/data-dir.js';
import { NewerSchemaError } from '../../ledger/store/migrations.js';
import { startDesktopCore } from './core.js';
import { DesktopApp } from './desktop-app.js';
import { desktopPaths } from './paths.js';

const log = (message: string) => process.stderr.write(`modelmeter: ${message}\n`);

const desktop = new DesktopApp(
  { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, Notification, screen, shell, Tray },
  {
    paths: desktopPaths(import.meta.url, app.isPackaged, process.resourcesPath),
    startCore: startDesktopCore,
    env: process.env,
    platform: process.platform,
    argv: process.argv,
    // Unpackaged, Electron needs the main script after its own binary to start this app again.
    command: app.isPackaged ? [process.execPath] : [process.execPath, process.argv[1] ?? ''],
    log,
  },
);

desktop.run().catch(async (error: unknown) => {
  const known = error instanceof NewerSchemaError || error instanceof DataDirError;
  const message = error instanceof Error ? error.message : String(error);
  log(error instanceof Error && !known ? (error.stack ?? message) : message);
  await app.whenReady();
  dialog.showErrorBox('ModelMeter could not start', message);
  await desktop.shutdown().catch(() => {});
  app.exit(1);
});

/**
 * The Windows Application User Model ID: the same string as `appId` in electron-builder.yml, which
 * the NSIS installer writes into the Start-menu shortcut. When the running app says the same,
 * Windows groups its taskbar button with the pinned shortcut and attributes its notifications to
 * the installed app (a mismatch shows them as "electron.app.ModelMeter" or not at all).
 */
export const APP_USER_MODEL_ID = 'dev.modelmeter.app';

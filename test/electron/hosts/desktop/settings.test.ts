import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../../../../electron/hosts/core/start-core.js';
import { choosePort, DesktopSettingsFile } from '../../../../electron/hosts/desktop/settings.js';
import { useTempDir } from './support.js';

describe('DesktopSettingsFile', () => {
  const temp = useTempDir();

  it('starts from the defaults and keeps what is saved', () => {
    const settings = new DesktopSettingsFile(temp());
    expect(settings.read()).toEqual({ port: DEFAULT_PORT, language: null });
    settings.update({ port: 8123 });
    settings.update({ language: 'zh-CN' });
    expect(settings.read()).toEqual({ port: 8123, language: 'zh-CN' });
  });

  it('falls back to the defaults, and says so, when the file is damaged', () => {
    const logs: string[] = [];
    const settings = new DesktopSettingsFile(temp(), (message) => logs.push(message));
    fs.writeFileSync(settings.file, '{ "port": ');
    expect(settings.read()).toEqual({ port: DEFAULT_PORT, language: null });
    fs.writeFileSync(settings.file, '{ "port": 99999999, "language": "fr" }');
    expect(settings.read()).toEqual({ port: DEFAULT_PORT, language: null });
    expect(logs).toHaveLength(2);
  });
});

describe('choosePort', () => {
  it('lets a valid MODELMETER_PORT win over the saved port', () => {
    const saved = { port: 8000, language: null };
    expect(choosePort(saved, {})).toBe(8000);
    expect(choosePort(saved, { MODELMETER_PORT: '9001' })).toBe(9001);
    expect(choosePort(saved, { MODELMETER_PORT: 'abc' })).toBe(8000);
    expect(choosePort(saved, { MODELMETER_PORT: '' })).toBe(8000);
  });
});

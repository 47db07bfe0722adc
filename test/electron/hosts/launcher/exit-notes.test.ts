import { describe, expect, it } from 'vitest';
import { explainElectronExit } from '../../../../electron/hosts/launcher/exit-notes.js';

const helper = '/repo/node_modules/electron/dist/chrome-sandbox';

describe('explainElectronExit', () => {
  it('explains the SUID sandbox fix when Electron dies by a signal on Linux (Ubuntu 24.04)', () => {
    const note = explainElectronExit({ code: null, signal: 'SIGTRAP', platform: 'linux', usernsRestricted: true, sandboxHelper: helper });
    expect(note).toMatch(/killed by SIGTRAP/);
    expect(note).toMatch(/restricts unprivileged user namespaces/);
    expect(note).toContain(`sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`);
    expect(note).toContain('MODELMETER_HEADLESS=1 npm start');
  });

  it('says nothing for a normal exit or a signal the user sent', () => {
    expect(explainElectronExit({ code: 0, signal: null, platform: 'linux', usernsRestricted: true, sandboxHelper: helper })).toBeNull();
    expect(explainElectronExit({ code: 1, signal: null, platform: 'linux', usernsRestricted: true, sandboxHelper: helper })).toBeNull();
    expect(explainElectronExit({ code: null, signal: 'SIGINT', platform: 'linux', usernsRestricted: true, sandboxHelper: helper })).toBeNull();
  });

  it('keeps the sandbox advice to Linux', () => {
    expect(explainElectronExit({ code: null, signal: 'SIGABRT', platform: 'darwin', usernsRestricted: null, sandboxHelper: helper })).not.toMatch(/chrome-sandbox/);
  });
});

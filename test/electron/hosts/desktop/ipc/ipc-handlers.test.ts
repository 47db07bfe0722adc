import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LedgerApi } from '../../../../../shared/api.js';
import type { AppApi } from '../../../../../shared/app.js';
import { BRIDGE_OPERATIONS, channelOf } from '../../../../../shared/bridge.js';
import { ApiError } from '../../../../../shared/errors.js';
import { INTERNAL_MESSAGE } from '../../../../../electron/hosts/desktop/ipc/envelope.js';
import { registerIpcHandlers } from '../../../../../electron/hosts/desktop/ipc/ipc-handlers.js';
import { FakeIpcMain } from '../fakes.js';

const rendererDir = path.resolve('/app/dist/renderer');
const ourPage = `${pathToFileURL(path.join(rendererDir, 'index.html')).href}#/overview`;
const OUR_WINDOW = 7;

/** Every operation answers with its own name and input, or throws what `failures` says. */
function recorder(failures: Record<string, unknown> = {}): { api: LedgerApi & AppApi; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const api = Object.fromEntries(
    BRIDGE_OPERATIONS.map((operation) => [
      operation,
      async (input: unknown) => {
        calls.push([operation, input]);
        if (operation in failures) throw failures[operation];
        return { operation, input };
      },
    ]),
  ) as unknown as LedgerApi & AppApi;
  return { api, calls };
}

function setup(failures?: Record<string, unknown>) {
  const ipcMain = new FakeIpcMain();
  const logs: string[] = [];
  const { api, calls } = recorder(failures);
  const unregister = registerIpcHandlers({
    ipcMain,
    ledger: api,
    host: api,
    policy: { rendererDir, ownsWebContents: (id) => id === OUR_WINDOW },
    log: (message) => logs.push(message),
  });
  const topFrame = (url: string) => ({ url, parent: null });
  return { ipcMain, calls, logs, unregister, topFrame };
}

describe('registerIpcHandlers', () => {
  it('registers exactly one handler per operation of the contract', () => {
    const { ipcMain } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(BRIDGE_OPERATIONS.map(channelOf).sort());
  });

  it('runs a call from our own window and answers an ok envelope', async () => {
    const { ipcMain, calls, topFrame } = setup();
    const answer = await ipcMain.invoke(channelOf('getSummary'), { range: 'today' }, { senderId: OUR_WINDOW, frame: topFrame(ourPage) });
    expect(answer).toEqual({ ok: true, value: { operation: 'getSummary', input: { range: 'today' } } });
    const app = await ipcMain.invoke(channelOf('setLanguage'), { language: 'zh-CN' }, { senderId: OUR_WINDOW, frame: topFrame(ourPage) });
    expect(app).toEqual({ ok: true, value: { operation: 'setLanguage', input: { language: 'zh-CN' } } });
    expect(calls.map(([operation]) => operation)).toEqual(['getSummary', 'setLanguage']);
  });

  it('refuses a page loaded from elsewhere, a sub-frame, a vanished frame and a window that is not ours', async () => {
    const { ipcMain, calls, topFrame, logs } = setup();
    const refused = [
      { senderId: OUR_WINDOW, frame: topFrame('https://evil.example/') },
      { senderId: OUR_WINDOW, frame: topFrame(pathToFileURL('/tmp/index.html').href) },
      { senderId: OUR_WINDOW, frame: { url: ourPage, parent: topFrame(ourPage) } },
      { senderId: OUR_WINDOW, frame: null },
      { senderId: 99, frame: topFrame(ourPage) },
    ];
    for (const from of refused) {
      const answer = await ipcMain.invoke(channelOf('deleteModel'), { model: 'x' }, from);
      expect(answer).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(calls).toEqual([]);
    expect(logs).toHaveLength(refused.length);
  });

  it('answers an ApiError as its code, message and details', async () => {
    const details = [{ field: 'model', reason: 'required' }];
    const { ipcMain, topFrame } = setup({ getPricing: new ApiError('not_found', 'no pricing for "x"', details) });
    const answer = await ipcMain.invoke(channelOf('getPricing'), { model: 'x' }, { senderId: OUR_WINDOW, frame: topFrame(ourPage) });
    expect(answer).toEqual({ ok: false, error: { code: 'not_found', message: 'no pricing for "x"', details } });
  });

  it('hides an unexpected error behind a plain message and logs the real one', async () => {
    const { ipcMain, topFrame, logs } = setup({ cleanup: new Error('SQLITE_CORRUPT at /home/me/secret/modelmeter.db') });
    const answer = await ipcMain.invoke(channelOf('cleanup'), {}, { senderId: OUR_WINDOW, frame: topFrame(ourPage) });
    expect(answer).toEqual({ ok: false, error: { code: 'internal', message: INTERNAL_MESSAGE } });
    expect(JSON.stringify(answer)).not.toContain('secret');
    expect(logs.join('\n')).toContain('SQLITE_CORRUPT');
  });

  it('has no handler for a channel outside the contract, and removes its own', async () => {
    const { ipcMain, topFrame, unregister } = setup();
    await expect(ipcMain.invoke('modelmeter:exec', 'rm -rf', { senderId: OUR_WINDOW, frame: topFrame(ourPage) })).rejects.toThrow(/No handler/);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

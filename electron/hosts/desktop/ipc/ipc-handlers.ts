import { LEDGER_OPERATIONS, type LedgerApi } from '../../../../shared/api.js';
import type { AppApi } from '../../../../shared/app.js';
import { BRIDGE_OPERATIONS, channelOf, type BridgeOperation } from '../../../../shared/bridge.js';
import { ApiError } from '../../../../shared/errors.js';
import type { InvokeEventLike, IpcMainLike } from '../electron-api.js';
import { isTrustedRendererUrl } from '../security/trusted-url.js';
import { envelopeOf } from './envelope.js';

export interface SenderPolicy {
  rendererDir: string;
  /** True when the webContents belongs to one of the app's windows. */
  ownsWebContents(id: number): boolean;
  platform?: NodeJS.Platform;
}

/**
 * Why a call must be refused, or null when it comes from our own renderer: the top frame (not an
 * embedded one) of one of our windows, showing our bundled page.
 */
export function senderProblem(event: InvokeEventLike, policy: SenderPolicy): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the calling frame is gone';
  if (frame.parent !== null) return 'calls from sub-frames are not accepted';
  if (!isTrustedRendererUrl(frame.url, policy.rendererDir, policy.platform)) return `calls from ${frame.url} are not accepted`;
  if (!policy.ownsWebContents(event.sender.id)) return 'the calling window is not one of ModelMeter\'s';
  return null;
}

export interface IpcHandlerOptions {
  ipcMain: IpcMainLike;
  ledger: LedgerApi;
  host: AppApi;
  policy: SenderPolicy;
  log: (message: string) => void;
}

const LEDGER = new Set<string>(LEDGER_OPERATIONS);

/**
 * One handler per operation of the contract (and nothing else), each checking its caller and
 * answering an envelope. Inputs are validated by the service and the host with the same schemas
 * the HTTP routes use. Returns the function that removes them.
 */
export function registerIpcHandlers(options: IpcHandlerOptions): () => void {
  const { ipcMain, policy, log } = options;
  for (const operation of BRIDGE_OPERATIONS) {
    const run = methodOf(LEDGER.has(operation) ? options.ledger : options.host, operation);
    ipcMain.handle(channelOf(operation), async (event, input) => {
      const problem = senderProblem(event, policy);
      if (problem) {
        log(`refused IPC ${operation}: ${problem}`);
        return envelopeOf(() => Promise.reject(new ApiError('unauthorized', 'this caller may not use ModelMeter\'s bridge')), log);
      }
      return envelopeOf(() => run(input), log);
    });
  }
  return () => {
    for (const operation of BRIDGE_OPERATIONS) ipcMain.removeHandler(channelOf(operation));
  };
}

function methodOf(api: LedgerApi | AppApi, operation: BridgeOperation): (input: unknown) => Promise<unknown> {
  const method: unknown = Reflect.get(api, operation);
  if (typeof method !== 'function') throw new Error(`${operation} is not implemented by its host`);
  return async (input) => (await Reflect.apply(method, api, [input])) as unknown;
}

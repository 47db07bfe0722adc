import { EventEmitter } from 'node:events';
import type { LedgerEvent } from '../../../shared/types.js';

/** Change notifications from the service to whoever shows data (SSE clients, the tray, windows). */
export class LedgerEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every browser tab and window subscribes; the default warning at 10 is noise here.
    this.emitter.setMaxListeners(0);
  }

  emit(event: LedgerEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: LedgerEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  get listenerCount(): number {
    return this.emitter.listenerCount('event');
  }
}

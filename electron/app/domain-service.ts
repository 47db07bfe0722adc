import type { LedgerEvents } from '../ledger/events/bus.js';
import type { Ledger } from '../ledger/store/ledger.js';

/** What every domain service works on: the one ledger and the one event bus of the running core. */
export interface ServiceContext {
  readonly ledger: Ledger;
  readonly events: LedgerEvents;
}

/**
 * The base of the per-domain services that LedgerService composes: they share the ledger, its clock
 * and the event bus, so a method reads the same wherever it lives.
 */
export abstract class DomainService {
  readonly ledger: Ledger;
  readonly events: LedgerEvents;

  constructor(context: ServiceContext) {
    this.ledger = context.ledger;
    this.events = context.events;
  }

  protected get now(): number {
    return this.ledger.ctx.now();
  }
}

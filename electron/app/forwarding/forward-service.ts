import type { ForwardingStatus, ForwardingUpdate } from '../../../shared/schemas/forwarding.js';
import type { ServiceContext } from '../domain-service.js';

/** Skeleton: helper "forward-outbox" replaces this file. */
export class ForwardService {
  constructor(private readonly ctx: ServiceContext) {}

  getForwarding(): Promise<ForwardingStatus> {
    return Promise.reject(new Error('forwarding is not built yet'));
  }

  setForwarding(_input: ForwardingUpdate): Promise<ForwardingStatus> {
    return Promise.reject(new Error('forwarding is not built yet'));
  }
}

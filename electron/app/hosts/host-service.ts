import type { ForwardBatchInput, ForwardBatchResult, HostInfo } from '../../../shared/schemas/forwarding.js';
import type { ServiceContext } from '../domain-service.js';

/** Skeleton: helper "hosts" replaces this file. */
export class HostService {
  constructor(private readonly ctx: ServiceContext) {}

  ingestForwarded(_body: ForwardBatchInput): Promise<ForwardBatchResult> {
    return Promise.reject(new Error('receiving forwarded batches is not built yet'));
  }

  listHosts(): Promise<HostInfo[]> {
    return Promise.reject(new Error('hosts are not built yet'));
  }
}

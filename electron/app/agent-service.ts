import { ApiError } from '../../shared/errors.js';
import {
  agentSourceRefSchema,
  agentSourceUpdateSchema,
  type AgentPreview,
  type AgentSource,
  type AgentSourceId,
  type AgentSourceRef,
  type AgentSourceUpdate,
} from '../../shared/schemas/agents.js';
import type { IngestBody } from '../../shared/api.js';
import type { IngestResult } from '../../shared/types.js';
import { parseInput } from '../ledger/input/validation.js';
import { AgentCursors } from '../ledger/store/agent-cursors.js';
import { AGENT_INFO, AgentSources, type AgentSourcesOptions } from '../sources/agents/agent-sources.js';
import type { AgentId } from '../sources/agents/format.js';
import type { AgentSourcePorts } from '../sources/ports.js';
import { DomainService, type ServiceContext } from './domain-service.js';

// The API's agent ids and the formats' ids are one list kept in two places (shared/ cannot import electron/).
const sameIds: [AgentSourceId, AgentId] extends [AgentId, AgentSourceId] ? true : never = true;
void sameIds;

/**
 * The coding agents' log sources (Claude Code, Codex, ...): listing what is on this machine, what
 * switching one on would import, and the switch itself. The followers run only between start() and
 * close(), which the hosts call with the rest of the core, like the launcher watchers.
 */
export class AgentService extends DomainService {
  readonly sources: AgentSources;

  constructor(context: ServiceContext, ingest: (body: IngestBody) => Promise<IngestResult>, options: AgentSourcesOptions = {}) {
    super(context);
    const ports: AgentSourcePorts = {
      ledger: context.ledger,
      events: context.events,
      ingestRequests: ingest,
      agentCursors: new AgentCursors(context.ledger),
    };
    this.sources = new AgentSources(ports, options);
  }

  start(): void {
    this.sources.start();
  }

  close(): Promise<void> {
    return this.sources.close();
  }

  listAgentSources(): Promise<AgentSource[]> {
    return this.sources.list();
  }

  previewAgentSource(input: AgentSourceRef): Promise<AgentPreview> {
    const { id } = parseInput(agentSourceRefSchema, input, 'agent source');
    return this.sources.preview(id);
  }

  async setAgentSource(input: AgentSourceUpdate): Promise<AgentSource> {
    const { id, enabled } = parseInput(agentSourceUpdateSchema, input, 'agent source');
    if (enabled && !this.sources.isAvailable(id)) throw new ApiError('conflict', `${AGENT_INFO[id].name} logs cannot be read by this version of ModelMeter yet`);
    await this.sources.setEnabled(id, enabled);
    return this.sources.describe(id);
  }
}

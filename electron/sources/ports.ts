import type { LedgerApi } from '../../shared/api.js';
import type { Circuit } from '../../shared/types.js';
import type { LedgerEvents } from '../ledger/events/bus.js';
import type { BufferedWriter, BufferedWriterOptions } from '../ledger/ingest/buffered-writer.js';
import type { CircuitStateInput } from '../ledger/store/circuits.js';
import type { Ledger } from '../ledger/store/ledger.js';
import type { AgentCursors } from '../ledger/store/agent-cursors.js';
import type { IntegrationConfig } from './integrations/integration-config.js';

/*
 * The narrow ports through which sources (proxy, watchers, importers) reach the ledger. The app's
 * LedgerService implements all of them; each source names only the ones it uses, so a source never
 * depends on the app wing and a test can hand it a small fake.
 */

/** The ledger itself and its change events: what a source reads and listens to. */
export interface LedgerAccess {
  readonly ledger: Ledger;
  readonly events: LedgerEvents;
}

/** Where validated request records go, in batches (importers). */
export type RecordSink = Pick<LedgerApi, 'ingestRequests'>;

/** Where a producer inside the process queues records without waiting (the proxy). */
export interface BufferedRecordSink {
  createBufferedWriter(options?: BufferedWriterOptions): BufferedWriter;
}

/** Model runs: reported as they start and stop, and listed to find the open ones. */
export type RunReporter = Pick<LedgerApi, 'reportRun' | 'listRuns'>;

/** Circuit states reported the way a gateway reports them (importers). */
export type CircuitReporter = Pick<LedgerApi, 'listCircuits' | 'putCircuits'>;

/** Prices, looked up and added as versions (importers). */
export type PriceLookup = Pick<LedgerApi, 'getPricing' | 'addPriceVersion'>;

/** Usage over time, to tell what a source already recorded (importers). */
export type UsageReader = Pick<LedgerApi, 'getHistory'>;

/** One breaker step of the metering proxy, for CircuitStore.applyBreakerSteps. */
export interface BreakerStepInput {
  metricsKey: string;
  apiType: string;
  channel: { baseUrl: string; keyMask: string | null; label: string | null };
  /** The state to store; absent only registers the channel. */
  circuit?: CircuitStateInput;
  ts: number;
  reason: string | null;
}

/** A change of circuit state, as the `circuits` event announces it. */
export interface CircuitChange {
  metricsKey: string;
  apiType: string;
  state: Circuit['state'];
}

/** Where the proxy's breakers persist their steps, in one transaction per batch. */
export interface CircuitStore {
  applyBreakerSteps(steps: readonly BreakerStepInput[]): CircuitChange[];
}

/** Proxy routes and watcher configurations, and the key vault behind them. */
export interface IntegrationsAccess {
  readonly integrations: IntegrationConfig;
}

/** What the metering proxy needs. */
export type ProxyPorts = LedgerAccess & BufferedRecordSink & CircuitStore & IntegrationsAccess;

/** What the launcher watchers need. */
export type WatcherPorts = LedgerAccess & RunReporter & IntegrationsAccess;

/** What an import needs: the target ledger's clock and coverage, and the API calls it writes through. */
export type ImportPorts = LedgerAccess & RecordSink & RunReporter & CircuitReporter & PriceLookup & UsageReader;

/** The agent-log sources' bookkeeping: per-file cursors, import counts, which agents are on. */
export interface AgentCursorAccess {
  readonly agentCursors: AgentCursors;
}

/** What the agent-log followers need: the ledger's clock and events, the record sink, their cursors. */
export type AgentSourcePorts = LedgerAccess & RecordSink & AgentCursorAccess;

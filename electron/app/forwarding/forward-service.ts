import { ApiError } from '../../../shared/errors.js';
import { forwardingUpdateSchema, type ForwardingStatus, type ForwardingUpdate } from '../../../shared/schemas/forwarding.js';
import type { LedgerEvent } from '../../../shared/types.js';
import { Outbox, type KindCounts } from '../../ledger/forwarding/outbox.js';
import { parseInput } from '../../ledger/input/validation.js';
import { MemoryForwardTokenVault, type ForwardTokenVault } from '../../sources/secrets/forward-token.js';
import { DomainService, type ServiceContext } from '../domain-service.js';
import { Forwarder, type ForwarderOptions, type ForwardTarget } from './forwarder.js';
import { defaultHostName, FORWARDING_CONFIG_KEY, maskToken, normaliseTarget, readStored, type CommandLineForwarding, type StoredForwarding } from './forward-settings.js';

export interface ForwardServiceOptions {
  /** The target's token (the data folder's file; memory in tests). */
  tokenVault?: ForwardTokenVault;
}

export interface ForwardStartOptions {
  /** --forward-to and friends: forwarding on for this run, the settings untouched and locked. */
  commandLine?: CommandLineForwarding | null;
  log?: (message: string) => void;
  /** For tests: the sender's fetch, timings and batch size. */
  sender?: Pick<ForwarderOptions, 'fetch' | 'maxBatch' | 'idlePollMs' | 'backoffStartMs' | 'backoffMaxMs' | 'requestTimeoutMs'>;
}

const EMIT_INTERVAL_MS = 1_000;

/**
 * Forwarding this ledger to another ModelMeter (GET/PUT /forwarding): the settings, the outbox's
 * triggers (on only while forwarding is on) and the sender, which runs between start() and stop().
 * Its status goes out as `forwarding` events, at most about once a second.
 */
export class ForwardService extends DomainService {
  private readonly tokens: ForwardTokenVault;
  private outboxInstance: Outbox | null = null;
  private forwarder: Forwarder | null = null;
  private started: ForwardStartOptions | null = null;
  private commandLine: CommandLineForwarding | null = null;
  private unsubscribe: (() => void) | null = null;
  private emitTimer: NodeJS.Timeout | null = null;
  private lastEmit = 0;
  /** What senders replaced since the start had sent (a change of settings starts a new sender). */
  private sentBefore = { requests: 0, runs: 0, circuits: 0 };

  constructor(context: ServiceContext, options: ForwardServiceOptions = {}) {
    super(context);
    this.tokens = options.tokenVault ?? new MemoryForwardTokenVault();
  }

  async getForwarding(): Promise<ForwardingStatus> {
    return this.status();
  }

  async setForwarding(input: ForwardingUpdate): Promise<ForwardingStatus> {
    if (this.commandLine !== null) {
      throw new ApiError('conflict', 'forwarding was set on the command line (--forward-to) for this run; restart without it to change it here');
    }
    const parsed = parseInput(forwardingUpdateSchema, input, 'forwarding settings');
    const stored = this.stored();
    const next: StoredForwarding = {
      enabled: parsed.enabled,
      targetUrl: parsed.targetUrl === undefined ? stored.targetUrl : parsed.targetUrl === null ? null : normaliseTarget(parsed.targetUrl),
      hostName: parsed.hostName ?? stored.hostName,
    };
    const token = parsed.token === undefined ? this.tokens.get() : parsed.token;
    if (next.enabled) {
      const missing = [
        ...(next.targetUrl ? [] : [{ field: 'targetUrl', reason: 'is required to switch forwarding on (the target ModelMeter, e.g. http://192.168.1.20:7423)' }]),
        ...(token ? [] : [{ field: 'token', reason: "is required to switch forwarding on (the target's API token)" }]),
      ];
      if (missing.length) throw new ApiError('validation_failed', `invalid forwarding settings: ${missing.map((m) => `${m.field} ${m.reason}`).join('; ')}`, missing);
    }
    if (parsed.token !== undefined) this.tokens.set(parsed.token);
    this.ledger.write(() => this.ledger.config.write(FORWARDING_CONFIG_KEY, next));
    await this.apply();
    return this.status();
  }

  /** Starts the sender (when forwarding is on) and follows new data; the hosts call it with the core. */
  async start(options: ForwardStartOptions = {}): Promise<void> {
    this.started = options;
    this.commandLine = options.commandLine ?? null;
    this.unsubscribe ??= this.events.subscribe((event) => this.onEvent(event));
    await this.apply();
  }

  /** Stops the sender; call before the ledger closes. What waits stays in the outbox. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    const forwarder = this.forwarder;
    this.forwarder = null;
    this.started = null;
    await forwarder?.stop();
  }

  private get outbox(): Outbox {
    return (this.outboxInstance ??= new Outbox(this.ledger.ctx));
  }

  private stored(): StoredForwarding {
    return readStored(this.ledger.config.read(FORWARDING_CONFIG_KEY));
  }

  /** What applies now: the command line's, else the settings' (without a token or URL it cannot be on). */
  private effective(): { target: ForwardTarget | null; enabled: boolean; targetUrl: string | null; hostName: string; token: string | null } {
    if (this.commandLine !== null) {
      const { targetUrl, token } = this.commandLine;
      const hostName = this.commandLine.hostName ?? defaultHostName();
      return { target: { targetUrl, token, hostName }, enabled: true, targetUrl, hostName, token };
    }
    const stored = this.stored();
    const token = this.tokens.get();
    const hostName = stored.hostName ?? defaultHostName();
    const on = stored.enabled && stored.targetUrl !== null && token !== null;
    return { target: on ? { targetUrl: stored.targetUrl!, token: token!, hostName } : null, enabled: stored.enabled, targetUrl: stored.targetUrl, hostName, token };
  }

  /** Triggers on or off to match the settings, and the sender (re)started for the target. */
  private async apply(): Promise<void> {
    const previous = this.forwarder;
    this.forwarder = null;
    await previous?.stop();
    if (previous) this.sentBefore = addCounts(this.sentBefore, previous.current.sent);
    const { target } = this.effective();
    if (target === null) {
      this.outbox.switchOff();
    } else {
      this.outbox.switchOn(target.targetUrl);
      if (this.started !== null) {
        const started = this.started;
        this.forwarder = new Forwarder({
          outbox: this.outbox,
          target,
          onChange: () => this.scheduleEmit(),
          now: () => this.now,
          ...(started.log ? { log: started.log } : {}),
          ...started.sender,
        });
        this.forwarder.start();
      }
    }
    this.scheduleEmit();
  }

  private onEvent(event: LedgerEvent): void {
    if (this.forwarder === null) return;
    if (event.type === 'requests') this.forwarder.wake({ requests: event.count });
    else if (event.type === 'runs') this.forwarder.wake({ runs: 1 });
    else if (event.type === 'circuits') this.forwarder.wake({ circuits: 1 });
  }

  private scheduleEmit(): void {
    if (this.emitTimer !== null || this.started === null) return;
    const wait = Math.max(0, this.lastEmit + EMIT_INTERVAL_MS - Date.now());
    this.emitTimer = setTimeout(() => {
      this.emitTimer = null;
      this.lastEmit = Date.now();
      this.events.emit({ type: 'forwarding', status: this.status() });
    }, wait);
    this.emitTimer.unref();
  }

  private status(): ForwardingStatus {
    const effective = this.effective();
    const sender = this.forwarder?.current ?? null;
    return {
      enabled: effective.enabled,
      targetUrl: effective.targetUrl,
      hostName: effective.hostName,
      tokenMask: maskToken(effective.token),
      fromCommandLine: this.commandLine !== null,
      state: effective.target === null ? 'off' : (sender?.state ?? 'idle'),
      waiting: sender?.waiting ?? this.outbox.counts(),
      oldestWaitingAt: this.outbox.oldestQueuedAt(),
      unreachableSince: sender?.unreachableSince ?? null,
      lastError: sender?.lastError ?? null,
      lastSentAt: sender?.lastSentAt ?? null,
      sent: addCounts(this.sentBefore, sender?.sent ?? { requests: 0, runs: 0, circuits: 0 }),
    };
  }
}

function addCounts(a: KindCounts, b: KindCounts): KindCounts {
  return { requests: a.requests + b.requests, runs: a.runs + b.runs, circuits: a.circuits + b.circuits };
}

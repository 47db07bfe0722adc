import http from 'node:http';
import { Random } from '../../electron/hosts/demo/random.js';
import { call } from './http.js';
import type { StoredRequest } from './snapshot.js';
import type { Violations } from './violations.js';

/** The models the ingest clients report; one is priced (set up by the harness) so costs are summed too. */
export const INGEST_MODELS = ['crash-a', 'crash-b', 'crash-c', 'crash-priced', 'Qwen/Qwen3 模型 crash'] as const;
export const PRICED_MODEL = 'crash-priced';

export interface SentRecord {
  requestId: string;
  model: string;
  ts: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  success: boolean;
  /** Some post holding it was answered 2xx: it must be stored exactly once from then on. */
  acked: boolean;
  /** Posts holding it that were cut before an answer (killed mid-flight): it may be stored, once. */
  lostPosts: number;
  life: number;
}

type PostOutcome = 'acked' | 'lost' | 'refused' | 'rejected';

export interface Post {
  life: number;
  /** Records first sent in this post. */
  fresh: SentRecord[];
  /** Records already acknowledged, sent again: they must be answered as duplicates. */
  resent: SentRecord[];
  shape: 'single' | 'array' | 'records';
  outcome: PostOutcome | null;
  retried: boolean;
}

export interface IngestStats {
  posts: number;
  ackedPosts: number;
  lostPosts: number;
  refusedPosts: number;
  rejectedPosts: number;
  resentRecords: number;
  retriedLostPosts: number;
  /** Of the retried posts: how many had been stored before the kill (the retry answered duplicates). */
  retriedFoundStored: number;
}

/**
 * The client side of the ingest: every record ever sent and what the server answered for it. Sent
 * through several concurrent clients at a paced rate: single-record posts, and batches of 50-500 as an
 * array or as `{ records }`, some carrying records already acknowledged (which must come back as
 * duplicates, not be stored again).
 */
export class IngestBook {
  readonly records = new Map<string, SentRecord>();
  readonly posts: Post[] = [];
  private readonly acked: SentRecord[] = [];
  readonly stats: IngestStats = { posts: 0, ackedPosts: 0, lostPosts: 0, refusedPosts: 0, rejectedPosts: 0, resentRecords: 0, retriedLostPosts: 0, retriedFoundStored: 0 };
  private serial = 0;

  constructor(
    private readonly seed: number,
    private readonly violations: Violations,
  ) {}

  newRecord(random: Random, life: number): SentRecord {
    const now = Date.now();
    const success = !random.chance(0.05);
    const record: SentRecord = {
      requestId: `crash-${this.seed}-${life}-${++this.serial}`,
      model: random.pick(INGEST_MODELS),
      // Mostly now, some minutes late (a reporter catching up): ids of older milliseconds are allocated differently.
      ts: random.chance(0.8) ? now : now - random.int(0, 600_000),
      inputTokens: random.int(0, 20_000),
      outputTokens: random.int(0, 4_000),
      cacheReadTokens: random.chance(0.5) ? random.int(0, 50_000) : 0,
      cacheWriteTokens: random.chance(0.2) ? random.int(0, 5_000) : 0,
      success,
      acked: false,
      lostPosts: 0,
      life,
    };
    this.records.set(record.requestId, record);
    return record;
  }

  sampleAcked(random: Random, count: number): SentRecord[] {
    const out = new Set<SentRecord>();
    for (let i = 0; i < count && this.acked.length > 0; i++) out.add(random.pick(this.acked));
    return [...out];
  }

  /** Sends one post and books the answer. */
  async send(port: number, agent: http.Agent, post: Post): Promise<PostOutcome> {
    const all = [...post.fresh, ...post.resent];
    const wire = all.map(toWire);
    const body = post.shape === 'single' ? wire[0] : post.shape === 'array' ? wire : { records: wire };
    this.stats.posts++;
    this.stats.resentRecords += post.resent.length;
    if (!post.retried) this.posts.push(post);
    const outcome = await call(port, { agent, method: 'POST', path: '/api/v1/requests', body, timeoutMs: 60_000 });
    let result: PostOutcome;
    if (outcome.kind === 'answered' && outcome.reply.status >= 200 && outcome.reply.status < 300) {
      result = 'acked';
      this.stats.ackedPosts++;
      for (const record of post.fresh) {
        if (!record.acked) this.acked.push(record);
        record.acked = true;
      }
      const answer = JSON.parse(outcome.reply.text) as { accepted: number; duplicates: number };
      if (!post.retried && (answer.accepted !== post.fresh.length || answer.duplicates !== post.resent.length)) {
        this.violations.add(
          `idempotency-${post.fresh[0]?.requestId ?? post.resent[0]?.requestId}`,
          `life ${post.life}: a post of ${post.fresh.length} new and ${post.resent.length} re-sent records was answered ${outcome.reply.text}`,
        );
      }
    } else if (outcome.kind === 'answered') {
      result = 'rejected';
      this.stats.rejectedPosts++;
      this.violations.add(`rejected-${this.stats.posts}`, `life ${post.life}: a valid post was answered ${outcome.reply.status}: ${outcome.reply.text.slice(0, 200)}`);
    } else if (outcome.kind === 'lost') {
      result = 'lost';
      this.stats.lostPosts++;
      for (const record of post.fresh) record.lostPosts++;
    } else {
      result = 'refused';
      this.stats.refusedPosts++;
    }
    if (!post.retried) post.outcome = result;
    return result;
  }

  /**
   * A client that lost its answer sends the same post again after the restart: the answer must say
   * which of its records were already stored (duplicates) and store only the others.
   */
  async retry(port: number, post: Post, storedBefore: number): Promise<void> {
    post.retried = true;
    this.stats.retriedLostPosts++;
    if (storedBefore > 0) this.stats.retriedFoundStored++;
    const agent = new http.Agent({ keepAlive: false });
    const outcome = await call(port, { agent, method: 'POST', path: '/api/v1/requests', body: post.fresh.map(toWire), timeoutMs: 60_000 });
    agent.destroy();
    if (outcome.kind !== 'answered' || outcome.reply.status < 200 || outcome.reply.status > 299) {
      this.violations.add(`retry-${post.fresh[0]!.requestId}`, `life ${post.life}: re-sending a lost post failed: ${outcome.kind === 'answered' ? outcome.reply.status : outcome.error}`);
      return;
    }
    const answer = JSON.parse(outcome.reply.text) as { accepted: number; duplicates: number };
    if (answer.duplicates !== storedBefore || answer.accepted !== post.fresh.length - storedBefore) {
      this.violations.add(
        `retry-${post.fresh[0]!.requestId}`,
        `life ${post.life}: a lost post of ${post.fresh.length} records, ${storedBefore} of them stored, was re-sent and answered ${outcome.reply.text}`,
      );
    }
    for (const record of post.fresh) {
      if (!record.acked) this.acked.push(record);
      record.acked = true;
    }
  }
}

function toWire(record: SentRecord): Record<string, unknown> {
  return {
    requestId: record.requestId,
    model: record.model,
    ts: record.ts,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    cacheReadTokens: record.cacheReadTokens,
    cacheWriteTokens: record.cacheWriteTokens,
    success: record.success,
    ...(record.success ? {} : { failureClass: 'retryable', statusCode: 503 }),
    apiType: 'openai',
    source: 'crash-ingest',
  };
}

export interface IngestLoad {
  /** Records per second over all clients. */
  rate: number;
  batchClients: number;
  singleClients: number;
}

/**
 * Runs the ingest clients until `running()` turns false; each has one post in flight at a time and
 * paces itself to its share of the rate.
 */
export async function runIngestClients(port: number, book: IngestBook, random: Random, life: number, load: IngestLoad, running: () => boolean): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: load.batchClients + load.singleClients });
  const singleRate = Math.max(1, (load.rate * 0.05) / Math.max(1, load.singleClients));
  const batchRate = Math.max(1, (load.rate - singleRate * load.singleClients) / Math.max(1, load.batchClients));
  const client = async (index: number, single: boolean) => {
    const own = new Random((random.int(0, 2 ** 31) ^ (index * 7919)) >>> 0);
    const started = performance.now();
    let sent = 0;
    while (running()) {
      const post: Post = { life, fresh: [], resent: [], shape: single ? 'single' : own.chance(0.5) ? 'array' : 'records', outcome: null, retried: false };
      if (single) {
        if (own.chance(0.05)) post.resent = book.sampleAcked(own, 1);
        if (post.resent.length === 0) post.fresh.push(book.newRecord(own, life));
      } else {
        const size = own.int(50, 500);
        for (let i = 0; i < size; i++) post.fresh.push(book.newRecord(own, life));
        if (own.chance(0.1)) post.resent = book.sampleAcked(own, own.int(1, 20));
      }
      sent += post.fresh.length + post.resent.length;
      await book.send(port, agent, post);
      // Paced: the next post leaves when this client's share of the rate allows it.
      const due = started + (sent / (single ? singleRate : batchRate)) * 1000;
      while (running() && performance.now() < due) await new Promise((resolve) => setTimeout(resolve, Math.min(20, due - performance.now())));
    }
  };
  const clients: Promise<void>[] = [];
  for (let i = 0; i < load.batchClients; i++) clients.push(client(i, false));
  for (let i = 0; i < load.singleClients; i++) clients.push(client(load.batchClients + i, true));
  await Promise.all(clients);
  agent.destroy();
}

export interface IngestCheck {
  acked: number;
  found: number;
  lost: number;
  doubled: number;
  mismatched: number;
  unknown: number;
  unknownStored: number;
  phantom: number;
  /** Lost posts whose records were stored in part (all-or-nothing broken). */
  partial: number;
}

/**
 * Every acknowledged record stored exactly once and as sent; records of posts cut mid-flight at most
 * once, and each such post all or nothing; nothing stored that was never sent.
 */
export function checkIngest(book: IngestBook, stored: readonly StoredRequest[], when: string, violations: Violations): IngestCheck {
  const byId = new Map<string, StoredRequest[]>();
  for (const row of stored) {
    if (row.requestId === null) continue;
    const list = byId.get(row.requestId);
    if (list) list.push(row);
    else byId.set(row.requestId, [row]);
  }
  const check: IngestCheck = { acked: 0, found: 0, lost: 0, doubled: 0, mismatched: 0, unknown: 0, unknownStored: 0, phantom: 0, partial: 0 };
  for (const record of book.records.values()) {
    const rows = byId.get(record.requestId) ?? [];
    if (rows.length > 1) {
      check.doubled++;
      violations.add(`doubled-${record.requestId}`, `${when}: record ${record.requestId} is stored ${rows.length} times`);
    }
    if (record.acked) {
      check.acked++;
      if (rows.length === 0) {
        check.lost++;
        violations.add(`lost-${record.requestId}`, `${when}: acknowledged record ${record.requestId} (life ${record.life}) is missing`);
      } else check.found++;
    } else if (record.lostPosts > 0) {
      check.unknown++;
      if (rows.length > 0) check.unknownStored++;
    } else if (rows.length > 0) {
      check.phantom++;
      violations.add(`phantom-${record.requestId}`, `${when}: record ${record.requestId} was never delivered (connection refused) but is stored`);
    }
    const row = rows[0];
    if (row && !sameRecord(record, row)) {
      check.mismatched++;
      violations.add(`mismatch-${record.requestId}`, `${when}: record ${record.requestId} is stored as ${JSON.stringify(row)}, not as sent`);
    }
  }
  for (const [requestId] of byId) {
    if (!book.records.has(requestId)) {
      check.phantom++;
      violations.add(`phantom-${requestId}`, `${when}: a record ${requestId} that no client sent is stored`);
    }
  }
  for (const post of book.posts) {
    if (post.outcome !== 'lost' || post.fresh.length === 0) continue;
    const present = post.fresh.filter((record) => byId.has(record.requestId)).length;
    if (present !== 0 && present !== post.fresh.length) {
      check.partial++;
      violations.add(`partial-${post.fresh[0]!.requestId}`, `${when}: a post cut mid-flight in life ${post.life} is stored in part: ${present} of ${post.fresh.length} records`);
    }
  }
  return check;
}

function sameRecord(sent: SentRecord, row: StoredRequest): boolean {
  return (
    row.model === sent.model &&
    row.inputTokens === sent.inputTokens &&
    row.outputTokens === sent.outputTokens &&
    row.cacheReadTokens === sent.cacheReadTokens &&
    row.cacheWriteTokens === sent.cacheWriteTokens &&
    row.success === sent.success &&
    row.source === 'crash-ingest' &&
    // More than 1,024 requests in one millisecond spill into the next ones (electron/ledger/store/request-ids.ts).
    row.ts >= sent.ts &&
    row.ts - sent.ts < 1_000
  );
}

/** Lost posts of a life, with how many of their records are stored now (for the retry's expected answer). */
export function lostPostsOf(book: IngestBook, life: number, stored: readonly StoredRequest[]): { post: Post; stored: number }[] {
  const ids = new Set<string>();
  for (const row of stored) if (row.requestId !== null) ids.add(row.requestId);
  return book.posts
    .filter((post) => post.life === life && post.outcome === 'lost' && !post.retried && post.fresh.length > 0)
    .map((post) => ({ post, stored: post.fresh.filter((record) => ids.has(record.requestId)).length }));
}

import { randomUUID } from 'node:crypto';
import { buildCatalogue, Prng, recordBatches, toWire } from './dataset.js';

/**
 * P2's load generator, in its own process so it shares no event loop with the bench runner: an
 * ordinary `fetch` client (Node's built-in, keep-alive by default) posting request records to
 * /api/v1/requests, `clients` posts in flight. The records are generated before the clock starts
 * (they stand for what a reporter has in memory); each post's JSON is built when it is sent, as a
 * real client does. Started with fork(); takes one `P2ClientJob` message, answers with a
 * `P2ClientResult` and exits.
 */
export interface P2ClientJob {
  port: number;
  token: string;
  seed: number;
  /** Records per post: 1 sends the record itself, more send an array. */
  perPost: number;
  posts: number;
  /** Posts sent (and checked) before the clock starts. */
  warmupPosts: number;
  clients: number;
  /** Records per day of the generated data (its density). */
  recordsPerDay: number;
  /**
   * 'shuffled': the measured records dealt out in random order (the warm-up's stay first), so every
   * post holds timestamps from the whole span, as a client that replays old logs or makes up test
   * data sends them. 'uuid-ids': every record carries a random UUID as its requestId (idempotent
   * retries), where the generated data gives one to a tenth of them. 'uuid-response-ids': every record
   * carries a random response id, as the proxy's records of calls do. 'wide': every record's keys drawn
   * from many values (see widen), as a test client that makes up its data does. 'one-ts': the measured
   * records all at one time, an hour before the warm-up's first (so older than what is stored), as a
   * client that stamps a whole import with one time sends them. 'live-ids': the measured records 100
   * a millisecond (as a client stamping each with the time it sends it at ~100,000 a second), each
   * with a random requestId and responseId.
   */
  variant?: 'shuffled' | 'uuid-ids' | 'uuid-response-ids' | 'wide' | 'one-ts' | 'live-ids';
}

export interface P2ClientResult {
  seconds: number;
  accepted: number;
  latenciesMs: number[];
  /** CPU this process used while the clock ran (user + system). */
  cpuSeconds: number;
  /** Mean size of a post's JSON body. */
  meanBodyBytes: number;
}

type Wire = Record<string, unknown>;

/** 'live-ids': records a millisecond. */
const LIVE_PER_MS = 100;

function generate(job: P2ClientJob): Wire[][] {
  const total = (job.posts + job.warmupPosts) * job.perPost;
  const catalogue = buildCatalogue(job.seed);
  const posts: Wire[][] = [];
  for (const batch of recordBatches({ records: total, endTs: Date.now(), days: total / job.recordsPerDay, seed: job.seed }, catalogue, job.perPost)) {
    posts.push(batch.map(toWire));
  }
  if (job.variant === 'uuid-ids') {
    for (const post of posts) for (const record of post) record['requestId'] = randomUUID();
    return posts;
  }
  if (job.variant === 'uuid-response-ids') {
    for (const post of posts) for (const record of post) record['responseId'] = `chatcmpl-${randomUUID()}`;
    return posts;
  }
  if (job.variant === 'one-ts') {
    const ts = (posts[0]![0]!['ts'] as number) - 3_600_000;
    for (const post of posts.slice(job.warmupPosts)) for (const record of post) record['ts'] = ts;
    return posts;
  }
  if (job.variant === 'live-ids') {
    const measured = posts.slice(job.warmupPosts).flat();
    const first = measured[0]!['ts'] as number;
    measured.forEach((record, i) => {
      record['ts'] = first + Math.floor(i / LIVE_PER_MS);
      record['requestId'] = randomUUID();
      record['responseId'] = `chatcmpl-${randomUUID()}`;
    });
    return posts;
  }
  if (job.variant === 'wide') {
    widen(posts, new Prng(job.seed ^ 0x71de));
    return posts;
  }
  if (job.variant !== 'shuffled') return posts;
  const measured = posts.slice(job.warmupPosts).flat();
  const rng = new Prng(job.seed ^ 0x5eed);
  for (let i = measured.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [measured[i], measured[j]] = [measured[j]!, measured[i]!];
  }
  const dealt = posts.slice(0, job.warmupPosts);
  for (let at = 0; at < measured.length; at += job.perPost) dealt.push(measured.slice(at, at + job.perPost));
  return dealt;
}

/**
 * Keys drawn from many values: 300 models (a few common, most rare), a project on half the records
 * (200), another machine on a third (20), an API type and one of its 10 channels on three quarters.
 * Nearly every record then opens rollup rows of its own at every grain, where P2a's 50 models and few
 * channels share them.
 */
function widen(posts: Wire[][], rng: Prng): void {
  const models = Array.from({ length: 300 }, (_, i) => `wide-vendor-${i % 7}/model-${i}`);
  const apiTypes = ['openai', 'anthropic', 'gemini'] as const;
  // A channel is its metricsKey: 16 lower-case hex characters.
  const channels = apiTypes.map((_, a) => Array.from({ length: 10 }, (_, i) => (Math.imul(a * 10 + i + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0').repeat(2)));
  for (const post of posts) {
    for (const record of post) {
      record['model'] = models[Math.floor(rng.next() ** 2 * models.length)];
      delete record['project'];
      delete record['host'];
      delete record['channel'];
      delete record['apiType'];
      if (rng.int(2) === 0) record['project'] = `wide-project-${rng.int(200)}`;
      if (rng.int(3) === 0) record['host'] = `wide-host-${rng.int(20)}.lan`;
      const api = rng.int(4);
      if (api < apiTypes.length) {
        record['apiType'] = apiTypes[api];
        record['channel'] = channels[api]![rng.int(10)];
      }
    }
  }
}

async function send(url: string, token: string, records: Wire[], single: boolean): Promise<{ accepted: number; bytes: number }> {
  const body = JSON.stringify(single ? records[0] : records);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
  const result = JSON.parse(text) as { accepted: number; duplicates: number };
  if (result.accepted !== records.length) throw new Error(`ingest accepted ${result.accepted} of ${records.length} records`);
  return { accepted: result.accepted, bytes: body.length };
}

/** `clients` loops, each posting the next unsent batch until none are left. */
async function drive(url: string, job: P2ClientJob, posts: readonly Wire[][], latencies: number[] | null): Promise<{ accepted: number; bytes: number }> {
  let next = 0;
  let accepted = 0;
  let bytes = 0;
  const single = job.perPost === 1;
  await Promise.all(
    Array.from({ length: job.clients }, async () => {
      for (;;) {
        const index = next++;
        if (index >= posts.length) return;
        const sent = performance.now();
        const result = await send(url, job.token, posts[index]!, single);
        latencies?.push(performance.now() - sent);
        accepted += result.accepted;
        bytes += result.bytes;
      }
    }),
  );
  return { accepted, bytes };
}

async function run(job: P2ClientJob): Promise<P2ClientResult> {
  const url = `http://127.0.0.1:${job.port}/api/v1/requests`;
  const posts = generate(job);
  await drive(url, job, posts.slice(0, job.warmupPosts), null);
  const measured = posts.slice(job.warmupPosts);
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { accepted, bytes } = await drive(url, job, measured, latenciesMs);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds, accepted, latenciesMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, meanBodyBytes: bytes / Math.max(1, measured.length) };
}

process.once('message', (job: P2ClientJob) => {
  run(job).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () => process.exit(1)),
  );
});
process.on('disconnect', () => process.exit(0));

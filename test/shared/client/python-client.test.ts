import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelPricing, RequestPage, Run } from '../../../shared/types.js';
import { startServer, tempDir, type TestServer } from '../../electron/hosts/http/helpers.js';
import { hasPython, PYTHON, runPython } from './python.js';

if (!hasPython) console.warn(`[python-client] skipped: "${PYTHON}" was not found; install Python 3.8+ to test clients/python`);

const MODEL = 'Qwen/Qwen3-Coder-30B-A3B-Instruct·量化';

/** The script's last stdout line as JSON; a failing script fails the test with its traceback. */
async function pythonJson<T>(script: string, env: Record<string, string | undefined>): Promise<T> {
  const result = await runPython(script, env);
  expect(result.code, result.stderr).toBe(0);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

describe.skipIf(!hasPython)('the Python DataManager against a real server', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeEach(async () => {
    server = await startServer();
    env = { MODELMETER_URL: server.url, MODELMETER_TOKEN: server.token };
  });

  afterEach(async () => {
    await server.close();
  });

  it('records LLM-Manager\'s usage flow the way ModelMeter means it', async () => {
    const out = await pythonJson<{
      runId: number;
      billingTiers: { use_tier_pricing: boolean; hourly_price: number; tiers: number[][] };
      billingHourlyPending: { use_tier_pricing: boolean; hourly_price: number };
      billingHourly: { use_tier_pricing: boolean; hourly_price: number; tiers: number };
      last4: { id: number; input_tokens: number; output_tokens: number; cache_n: number; prompt_n: number; end_time: number }[];
      all: number[];
      range: number[];
      runtime: { start_time: number; end_time: number }[];
      program: { start_time: number; end_time: number }[];
      t0: number;
    }>(
      `
import json, time
from dataclasses import asdict
from modelmeter import DataManager

M = ${JSON.stringify(MODEL)}
t0 = round(time.time()) - 3600
with DataManager() as dm:
    dm.add_program_runtime_start(t0)
    run_id = dm.add_model_runtime_start(M, t0 + 10)
    dm.update_model_runtime_end(M, t0 + 20)      # LLM-Manager's 10-second heartbeat
    dm.update_model_runtime_end(M, t0 + 600)     # and the last one, when the model stops
    dm.update_program_runtime_end(t0 + 700)

    # Tier prices first (LLM-Manager's default billing), in the later 10-value layout.
    dm.add_tier_pricing(M, [1, 0, 32768, 0, -1, 2.0, 8.0, True, 2.5, 0.5])
    dm.add_tier_pricing(M, [2, 32768, -1, 0, -1, 4.0, 16.0, True, 5.0, 1.0])
    b1 = dm.get_model_billing(M)

    dm.add_model_request(M, [t0 + 100, 150, 80, 120, 30])                  # [ts, input, output, cache_n, prompt_n]
    dm.add_model_request(M, [t0 + 3300.5, t0 + 3302.25, 40000, 10, 0, 40000])  # [start, end, ...]
    dm.add_model_request(M, [t0 + 3400, 70, 7])                            # the first layout

    dm.update_hourly_price(M, 3.5)          # kept while billing by tokens
    b2 = dm.get_model_billing(M)
    dm.update_billing_method(M, False)      # the switch writes an hourly version
    b3 = dm.get_model_billing(M)
    dm.update_billing_method(M, True)       # and back: the stored tiers again

    last4 = dm.get_model_requests(M, 4)      # minutes
    every = dm.get_model_requests(M)
    in_range = dm.get_model_requests(M, t0, t0 + 3300)   # the later (start_time, end_time) signature
    runtime = dm.get_model_runtime(M)
    program = dm.get_program_runtime()

print(json.dumps({
    "t0": t0,
    "runId": run_id,
    "billingTiers": {"use_tier_pricing": b1.use_tier_pricing, "hourly_price": b1.hourly_price,
                     "tiers": [[t.tier_index, t.start_tokens, t.max_input_tokens, t.input_price, t.output_price,
                                t.cache_write_price, t.cache_hit_price_per_million] for t in b1.tier_pricing]},
    "billingHourlyPending": {"use_tier_pricing": b2.use_tier_pricing, "hourly_price": b2.hourly_price},
    "billingHourly": {"use_tier_pricing": b3.use_tier_pricing, "hourly_price": b3.hourly_price, "tiers": len(b3.tier_pricing)},
    "last4": [asdict(r) for r in last4],
    "all": [r.end_time for r in every],
    "range": [r.end_time for r in in_range],
    "runtime": [asdict(r) for r in runtime],
    "program": [asdict(r) for r in program],
}))
`,
      env,
    );
    const t0ms = out.t0 * 1000;

    // Requests: cache_n became cache reads and prompt_n the input; the 6-value layout kept its latency.
    const page = await server.get<RequestPage>(`/api/v1/requests?model=${encodeURIComponent(MODEL)}`);
    const byTs = new Map(page.requests.map((row) => [row.ts, row]));
    expect(page.requests).toHaveLength(3);
    expect(byTs.get(t0ms + 100_000)).toMatchObject({ inputTokens: 30, cacheReadTokens: 120, outputTokens: 80, source: 'llm-manager', latencyMs: null });
    expect(byTs.get(t0ms + 3_302_250)).toMatchObject({ inputTokens: 40000, cacheReadTokens: 0, outputTokens: 10, latencyMs: 1750 });
    expect(byTs.get(t0ms + 3_400_000)).toMatchObject({ inputTokens: 70, cacheReadTokens: 0, outputTokens: 7 });
    // Priced by the first tier version, in force from the beginning: 30*2 + 120*0.5 + 80*8 per 1M, in yuan.
    expect(byTs.get(t0ms + 100_000)!.cost).toBeCloseTo(0.00076, 12);
    expect(byTs.get(t0ms + 100_000)!.currency).toBe('CNY');

    // Read back in DataManager's shape: newest first for "minutes", oldest first for a range.
    expect(out.last4.map((row) => [row.input_tokens, row.output_tokens, row.cache_n, row.prompt_n])).toEqual([[70, 7, 0, 70]]);
    expect(out.all).toEqual([out.t0 + 3400, out.t0 + 3302.25, out.t0 + 100]);
    expect(out.range).toEqual([out.t0 + 100]);

    // Runtime: one run from the start to the last heartbeat, still open until the stale timeout.
    const runs = await server.get<Run[]>(`/api/v1/runs?model=${encodeURIComponent(MODEL)}`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: out.runId, start: t0ms + 10_000, lastSeenAt: t0ms + 600_000, source: 'llm-manager' });
    expect(out.runtime).toEqual([{ id: out.runId, start_time: out.t0 + 10, end_time: out.t0 + 600 }]);
    expect(out.program).toEqual([expect.objectContaining({ start_time: out.t0, end_time: out.t0 + 700 })]);

    // Billing: the tiers as given, the hourly price kept aside until the switch, then the switch back.
    expect(out.billingTiers).toEqual({ use_tier_pricing: true, hourly_price: 0, tiers: [[1, 0, 32768, 2, 8, 2.5, 0.5], [2, 32768, -1, 4, 16, 5, 1]] });
    expect(out.billingHourlyPending).toEqual({ use_tier_pricing: true, hourly_price: 3.5 });
    expect(out.billingHourly).toEqual({ use_tier_pricing: false, hourly_price: 3.5, tiers: 2 });
    const pricing = await server.get<ModelPricing>(`/api/v1/pricing/${MODEL.split('/').map(encodeURIComponent).join('/')}`);
    const methods = pricing.versions.map((version) => version.method);
    // Versions written in the same millisecond replace each other; the order of methods is what matters.
    expect(methods.filter((method, i) => method !== methods[i - 1])).toEqual(['tokens', 'hourly', 'tokens']);
    const last = pricing.versions.at(-1)!;
    expect(last.tiers).toEqual([
      { maxPromptTokens: 32768, input: 2, output: 8, cacheRead: 0.5, cacheWrite: 2.5 },
      { maxPromptTokens: null, input: 4, output: 16, cacheRead: 1, cacheWrite: 5 },
    ]);
    expect(pricing.versions.find((version) => version.method === 'hourly')).toMatchObject({ hourly: 3.5, currency: 'CNY' });
  });

  it('starts a new run at each start, ending the previous one at its last heartbeat', async () => {
    const t0s = Math.round(Date.now() / 1000) - 1000;
    await pythonJson(
      `
import json, time
from modelmeter import DataManager
t0 = ${t0s}
dm = DataManager()
dm.add_model_runtime_start(${JSON.stringify(MODEL)}, t0)
dm.update_model_runtime_end(${JSON.stringify(MODEL)}, t0 + 30)
dm.add_model_runtime_start(${JSON.stringify(MODEL)}, t0 + 100)   # within the stale timeout
dm.stop_model_runtime(${JSON.stringify(MODEL)}, t0 + 160)
dm.close()
print(json.dumps(True))
`,
      env,
    );
    const t0 = t0s * 1000;
    const runs = await server.get<Run[]>(`/api/v1/runs?model=${encodeURIComponent(MODEL)}`);
    expect(runs.map((run) => [run.start - t0, run.end === null ? null : run.end - t0])).toEqual([
      [100_000, 160_000],
      [0, 30_000],
    ]);
  });

  it('deletes everything of a model with delete_model_tables', async () => {
    const out = await pythonJson<{ deleted: Record<string, unknown>; after: number; again: string }>(
      `
import json, time
from modelmeter import DataManager, ModelMeterError
M = ${JSON.stringify(MODEL)}
with DataManager() as dm:
    dm.add_model_runtime_start(M, time.time() - 60)
    dm.add_model_request(M, [time.time() - 5, 10, 1, 0, 10])
    dm.update_hourly_price(M, 1.0)
    dm.update_billing_method(M, False)
    deleted = dm.delete_model_tables(M)
    after = len(dm.get_model_requests(M))
    try:
        dm.delete_model_tables(M)
        again = "no error"
    except ModelMeterError as error:
        again = error.code
print(json.dumps({"deleted": deleted, "after": after, "again": again}))
`,
      env,
    );
    expect(out.deleted).toEqual({ model: MODEL, requests: 1, runs: 1, priceVersions: 1 });
    expect(out.after).toBe(0);
    expect(out.again).toBe('not_found');
    expect((await server.get<ModelPricing[]>('/api/v1/pricing')).length).toBe(0);
  });

  it('buffers add_model_request when asked: a full buffer goes out at once, the rest on leaving the with block', async () => {
    const out = await pythonJson<{ below: number; full: number; tail: number; read: number }>(
      `
import json, time, urllib.request
from modelmeter import DataManager
M = ${JSON.stringify(MODEL)}
def stored():
    req = urllib.request.Request(${JSON.stringify(server.url)} + "/api/v1/storage", headers={"Authorization": "Bearer ${server.token}"})
    return json.load(urllib.request.urlopen(req))["totalRequests"]
def settle(target, wait):
    deadline = time.time() + wait
    while stored() < target and time.time() < deadline:
        time.sleep(0.05)
    return stored()
now = time.time()
with DataManager(batch_size=100, flush_interval=60) as dm:
    for i in range(99):
        dm.add_model_request(M, [now - 200 + i, 10, 1])
    below = settle(1, 0.5)     # 99 < batch_size: nothing is sent
    dm.add_model_request(M, [now - 50, 10, 1])
    full = settle(100, 10)     # the 100th sends the batch in the background
    for i in range(50):
        dm.add_model_request(M, [now - 40 + i * 0.1, 10, 1])
    tail = settle(101, 0.5)    # held until the flush interval or the end of the block
read = len(DataManager().get_model_requests(M))
print(json.dumps({"below": below, "full": full, "tail": tail, "read": read}))
`,
      env,
    );
    expect(out).toEqual({ below: 0, full: 100, tail: 100, read: 150 });
  });

  it('sends only full batches when a full buffer wakes it: what arrives while a batch is on its way waits for the end', async () => {
    // The batch's POST is held until 50 more requests are buffered; they must not follow it at once.
    const sends = await pythonJson<[number, string][]>(
      `
import json, threading, time
from modelmeter import DataManager
M = ${JSON.stringify(MODEL)}
sends = []
phase = {"now": "in the block"}
on_its_way, arrived = threading.Event(), threading.Event()
def post(records):
    sends.append([len(records), phase["now"]])
    if len(sends) == 1:
        on_its_way.set()
        arrived.wait(5)
now = time.time()
dm = DataManager(batch_size=100, flush_interval=60)
dm._post_records = post
with dm:
    for i in range(100):
        dm.add_model_request(M, [now - 200 + i, 10, 1])
    on_its_way.wait(5)
    for i in range(50):
        dm.add_model_request(M, [now - 40 + i * 0.1, 10, 1])
    arrived.set()
    time.sleep(0.3)
    phase["now"] = "leaving"
print(json.dumps(sends))
`,
      env,
    );
    expect(sends).toEqual([
      [100, 'in the block'],
      [50, 'leaving'],
    ]);
  });

  it('raises ModelMeterError with code, status and details, and ValueError for malformed data', async () => {
    const out = await pythonJson<Record<string, unknown>>(
      `
import json, time
from modelmeter import DataManager, ModelMeterError, ModelMeterValidationError
res = {}
try:
    DataManager(token="wrong-token-000000").get_model_runtime("m")
except ModelMeterError as e:
    res["token"] = [e.code, e.status]
try:
    DataManager(base_url="http://127.0.0.1:9", timeout=2).get_model_runtime("m")
except ModelMeterError as e:
    res["down"] = e.code
dm = DataManager()
try:
    dm.add_model_request("m", [time.time(), 1])
except ValueError as e:
    res["shape"] = str(e).startswith("validation_failed: request_data must be")
try:
    dm.add_model_request("m", [time.time(), -5, 1])
except ModelMeterValidationError as e:
    res["negative"] = e.code
try:
    dm.add_model_request("m", [time.time() + 3 * 86400, 5, 1])   # the server refuses the far future
except ModelMeterValidationError as e:
    res["server"] = [e.code, e.status, [d["field"] for d in e.details]]
try:
    dm.add_tier_pricing("m", [1, 0, 100, 0, -1, 20000, 1, False, 0, 0])
except ValueError as e:
    res["price"] = e.code
print(json.dumps(res))
`,
      env,
    );
    expect(out).toEqual({
      token: ['unauthorized', 401],
      down: 'unavailable',
      shape: true,
      negative: 'validation_failed',
      server: ['validation_failed', 400, ['ts']],
      price: 'validation_failed',
    });
  });

  it('finds the token in ModelMeter\'s data folder when none is given', async () => {
    const config = tempDir('modelmeter-xdg-');
    fs.mkdirSync(path.join(config, 'ModelMeter'));
    fs.writeFileSync(path.join(config, 'ModelMeter', 'api-token'), `${server.token}\n`);
    try {
      const script = `
import json
from modelmeter import DataManager
print(json.dumps(DataManager().get_model_runtime("m")))
`;
      const fromFile = await pythonJson<unknown[]>(script, { MODELMETER_URL: server.url, XDG_CONFIG_HOME: config });
      expect(fromFile).toEqual([]);
      const without = await runPython(script, { MODELMETER_URL: server.url, XDG_CONFIG_HOME: path.join(config, 'none') });
      expect(without.code).not.toBe(0);
      expect(without.stderr).toContain('no API token');
    } finally {
      fs.rmSync(config, { recursive: true, force: true });
    }
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../electron/hosts/http/helpers.js';
import { hasPython, runPython } from './python.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MANUAL = fs.readFileSync(path.join(HERE, 'fixtures/llm-manager-manual.py'), 'utf8');

// The manual's snippets assume a module-level `logger`, as LLM-Manager's modules have.
const PRELUDE = 'import json, logging, time\nlogger = logging.getLogger("manual")\n';

// What the manual's examples leave behind, read back through the same client.
const CHECKS = `
worker_thread()
checks = {}
with DataManager() as dm:
    recent = dm.get_model_requests("Qwen3-Coder-30B", 60)
    checks["recent"] = len(recent)
    checks["recentInput"] = sorted(r.input_tokens for r in recent)
    checks["analysisRequests"] = analysis["total_requests"]
    checks["safe"] = dm.get_safe_model_name("Qwen3-Coder-30B-A3B-Instruct-UD-64K")
    checks["stable"] = dm.get_safe_model_name("Qwen3-Coder-30B-A3B-Instruct-UD-64K") == checks["safe"]
    checks["back"] = dm.get_model_safe_name(dm.get_safe_model_name("Qwen3-Coder-30B"))
    checks["unknown"] = dm.get_model_safe_name(dm.get_safe_model_name("nonexistent_model"))
    checks["notSafe"] = dm.get_model_safe_name("nonexistent_model")
print(json.dumps(checks))
`;

describe.skipIf(!hasPython)('LLM-Manager’s DataManager manual, run unchanged through clients/python', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('runs every example of the manual, in order, with only the import changed', async () => {
    expect(MANUAL.match(/^# --- example \d+ ---$/gm)).toHaveLength(22);
    expect(MANUAL).toContain('from modelmeter import DataManager');
    expect(MANUAL).not.toContain('from core.data_manager');

    const result = await runPython(PRELUDE + MANUAL + CHECKS, { MODELMETER_URL: server.url, MODELMETER_TOKEN: server.token }, 'modelmeter-manual-');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const checks = JSON.parse(lines.at(-1)!) as Record<string, unknown>;

    // The batch example stamps time.time() + i: its newest records are ahead of now and still "recent".
    expect(checks['recent']).toBe(10);
    expect(checks['recentInput']).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190]);
    expect(checks['analysisRequests']).toBe(10);
    // A stable, reversible safe name of letters, digits and "_"; the reverse lookup knows only known models.
    expect(checks['safe']).toMatch(/^[A-Za-z0-9_]+$/);
    expect(checks['stable']).toBe(true);
    expect(checks['back']).toBe('Qwen3-Coder-30B');
    expect(checks['unknown']).toBeNull();
    expect(checks['notSafe']).toBeNull();

    expect(result.stdout).toContain('最近1小时总token使用');
    expect(result.stdout).toContain('计费模式: 按时计费');
    expect(result.stdout).toContain('每小时价格: 0.5元');
    expect(result.stdout).toContain(`安全名称: ${String(checks['safe'])}`);
    expect(result.stdout).toContain('模型 nonexistent_model 不存在');
    expect(result.stdout).toMatch(/模型使用分析: \{'model': 'Qwen3-Coder-30B', 'period_days': 7, 'total_requests': 10/);
    expect(result.stdout).toMatch(/运行时长: \d+\.\d\d秒/);
  });
});

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../electron/hosts/http/helpers.js';

/** Running clients/python from the tests: scripts see only the client, a throwaway HOME and the env given. */
const CLIENT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../clients/python');
export const PYTHON = process.env['PYTHON'] ?? 'python3';
export const hasPython = spawnSync(PYTHON, ['--version']).status === 0;

export interface ScriptResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a Python script from its own temporary folder (also its HOME and working folder), removed afterwards. */
export function runPython(script: string, env: Record<string, string | undefined>, prefix = 'modelmeter-py-'): Promise<ScriptResult> {
  const dir = tempDir(prefix);
  const file = path.join(dir, 'script.py');
  fs.writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [file], {
      cwd: dir,
      env: { PATH: process.env['PATH'], HOME: dir, PYTHONPATH: CLIENT_DIR, PYTHONIOENCODING: 'utf-8', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ stdout, stderr, code });
    });
  });
}

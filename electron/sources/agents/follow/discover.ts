import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** One log file found under a root. */
export interface FoundFile {
  /** Absolute path. */
  path: string;
  /** Relative to its root, "/"-separated: what the format's isLogFile and openFile see. */
  relativePath: string;
  size: number;
  mtimeMs: number;
  /** "dev:ino": the same file after a rename, another file after a replace. */
  identity: string;
}

export interface RootState {
  path: string;
  exists: boolean;
}

/** Deep enough for every agent's layout (Codex: sessions/YYYY/MM/DD/file), shallow enough to stop a symlink loop. */
const MAX_DEPTH = 8;

export function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * Lists the files under `roots` that `isLogFile` accepts, with their size and identity. A root that
 * does not exist is reported as such; a file that vanishes between listing and stat is left out. The
 * same file reached through two roots (one a link to the other) is listed once.
 */
export async function discoverFiles(roots: readonly string[], isLogFile: (relativePath: string) => boolean): Promise<{ roots: RootState[]; files: FoundFile[] }> {
  const states: RootState[] = [];
  const files: FoundFile[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    let exists = false;
    try {
      exists = (await stat(root)).isDirectory();
    } catch {
      exists = false;
    }
    states.push({ path: root, exists });
    if (exists) await walk(root, '', 0, isLogFile, files, seen);
  }
  return { roots: states, files };
}

async function walk(root: string, relative: string, depth: number, isLogFile: (relativePath: string) => boolean, out: FoundFile[], seen: Set<string>): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(relative ? path.join(root, relative) : root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (depth < MAX_DEPTH) await walk(root, rel, depth + 1, isLogFile, out, seen);
      continue;
    }
    if (!(entry.isFile() || entry.isSymbolicLink()) || !isLogFile(rel)) continue;
    const full = path.join(root, rel);
    try {
      const stats = await stat(full);
      if (!stats.isFile()) continue;
      const identity = identityOf(stats);
      if (seen.has(identity)) continue;
      seen.add(identity);
      // Whole milliseconds, as Date.now() gives: a sub-millisecond stamp (recent kernels) would
      // otherwise be ahead of the clock for the rest of its millisecond, and the file never "quiet".
      out.push({ path: full, relativePath: rel, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), identity });
    } catch {
      // Gone between the listing and the stat: the next scan will not see it either.
    }
  }
}

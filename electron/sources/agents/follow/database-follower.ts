import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseFormat } from '../format.js';
import { identityOf } from './discover.js';
import { Follower, type FollowerOptions } from './follower.js';
import { MAX_AGENT_BATCH } from './record-batch.js';

/**
 * Follows a database-backed agent (opencode): the format reads what changed after its cursor, a batch
 * at a time; each batch is committed before its cursor is saved, so a restart resumes after the last
 * committed batch. A database replaced by another file (another identity) is read from the start;
 * requestIds make that harmless.
 */
export class DatabaseFollower extends Follower {
  constructor(
    private readonly format: DatabaseFormat,
    options: FollowerOptions,
  ) {
    super(format.id, options);
  }

  protected async pass(initial: boolean): Promise<void> {
    const states = [];
    let found: { file: string; size: number; identity: string } | null = null;
    for (const root of this.roots) {
      const file = path.join(root, this.format.databaseFile);
      let exists = false;
      try {
        const stats = await stat(root);
        exists = stats.isDirectory();
        const db = await stat(file);
        if (!found && db.isFile()) found = { file, size: db.size, identity: identityOf(db) };
      } catch {
        // A missing root or database: nothing to read yet.
      }
      states.push({ path: root, exists });
    }
    this.rootStates = states;
    if (!found) return;
    const stored = this.ports.agentCursors.cursors(this.agent).find((cursor) => cursor.path === found.file);
    let cursor = stored && stored.identity === found.identity ? stored.state : undefined;
    if (initial) {
      this.progress.filesTotal = 1;
      this.progress.bytesTotal = found.size;
    }
    for (;;) {
      if (this.closing) return;
      const read = this.format.readSince(found.file, cursor, MAX_AGENT_BATCH);
      this.batch.push(read.records);
      await this.batch.flush();
      cursor = read.cursor;
      this.ports.agentCursors.saveCursor({ agent: this.agent, path: found.file, identity: found.identity, size: found.size, offset: 0, state: cursor });
      this.report();
      if (read.done || read.records.length === 0) break;
      // Let the event loop breathe between batches of a big backlog.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (initial) {
      this.progress.filesDone = 1;
      this.progress.bytesDone = found.size;
    }
    this.progress.files = 1;
    this.progress.bytes = found.size;
  }
}

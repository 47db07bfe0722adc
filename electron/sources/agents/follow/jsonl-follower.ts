import type { AgentCursor } from '../../../ledger/store/agent-cursors.js';
import type { FileParser, JsonlFormat } from '../format.js';
import { discoverFiles, type FoundFile } from './discover.js';
import { Follower, type FollowerOptions } from './follower.js';
import { readLines } from './line-reader.js';

interface FileState {
  path: string;
  relativePath: string;
  identity: string;
  /** Size at the last look. */
  size: number;
  /** Byte offset right after the last line fed to the parser. */
  offset: number;
  parser: FileParser;
  /** Lines were fed since the last cursor was written. */
  dirty: boolean;
}

/**
 * Follows one JSONL agent: every log file under its roots is read from its cursor (or the start) to
 * its last complete line, then re-read as it grows. A cursor is written when the file has been quiet
 * for `quietMs`: the parser is flushed, its records committed, and only then the cursor saved, so a
 * restart never skips a record (and re-reads at most what was written after the last quiet moment,
 * whose records the ledger already holds under the same requestIds).
 */
export class JsonlFollower extends Follower {
  private readonly files = new Map<string, FileState>();
  /** Stored cursors not used yet this run, by path: the first pass resumes from them. */
  private stored: Map<string, AgentCursor> | null = null;

  constructor(
    private readonly format: JsonlFormat,
    options: FollowerOptions,
  ) {
    super(format.id, options);
  }

  protected async pass(initial: boolean): Promise<void> {
    const { roots, files } = await discoverFiles(this.roots, (relative) => this.format.isLogFile(relative));
    this.rootStates = roots;
    this.stored ??= new Map(this.ports.agentCursors.cursors(this.agent).map((cursor) => [cursor.path, cursor]));
    const byPath = new Map(files.map((file) => [file.path, file]));
    const isCurrent = (filePath: string, identity: string) => byPath.get(filePath)?.identity === identity;

    // Files gone or replaced since the last look, by identity: one that shows up under another name
    // was renamed (log rotation) and goes on from where it was.
    const detached = new Map<string, FileState>();
    for (const state of this.files.values()) {
      if (isCurrent(state.path, state.identity)) continue;
      detached.set(state.identity, state);
      this.files.delete(state.path);
    }
    const detachedCursors = new Map<string, AgentCursor>();
    for (const cursor of this.stored.values()) if (!isCurrent(cursor.path, cursor.identity)) detachedCursors.set(cursor.identity, cursor);
    for (const file of files) {
      const renamed = this.files.has(file.path) ? undefined : detached.get(file.identity);
      if (!renamed) continue;
      detached.delete(file.identity);
      this.ports.agentCursors.deleteCursor(this.agent, renamed.path);
      this.files.set(file.path, { ...renamed, path: file.path, relativePath: file.relativePath, dirty: true });
    }
    // Gone or replaced: what they held back is final; what was imported from them stays.
    for (const state of detached.values()) {
      this.batch.push(state.parser.flush());
      if (!byPath.has(state.path)) this.ports.agentCursors.deleteCursor(this.agent, state.path);
    }

    if (initial) {
      this.progress.filesTotal = files.length;
      this.progress.bytesTotal = files.reduce((sum, file) => sum + Math.max(0, file.size - this.resumeOffset(file, detachedCursors)), 0);
      this.report(true);
    }
    for (const file of files) {
      if (this.closing) return;
      try {
        await this.visit(file, detachedCursors, initial);
      } catch (error) {
        // A file that cannot be read (gone meanwhile, no permission) is skipped until the next pass;
        // anything else (the ledger refusing a write) fails the pass.
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code !== 'string' || !code.startsWith('E')) throw error;
        if (code !== 'ENOENT') this.log(`${this.agent}: ${file.path}: ${String(error)}`);
      }
      if (initial) {
        this.progress.filesDone++;
        this.report();
      }
    }
    // Cursors of files that are gone for good (never seen again under any name).
    for (const cursor of detachedCursors.values()) {
      this.stored.delete(cursor.path);
      if (!byPath.has(cursor.path)) this.ports.agentCursors.deleteCursor(this.agent, cursor.path);
    }
    await this.batch.flush();
    this.progress.files = files.length;
    this.progress.bytes = files.reduce((sum, file) => sum + file.size, 0);
  }

  protected override reset(): void {
    // After a failure, read again from the stored cursors: nothing after them is known committed.
    this.files.clear();
    this.stored = null;
  }

  private resumeOffset(file: FoundFile, detachedCursors: Map<string, AgentCursor>): number {
    const known = this.files.get(file.path);
    if (known) return file.size >= known.offset ? known.offset : 0;
    const cursor = this.cursorFor(file, detachedCursors);
    return cursor ? cursor.offset : 0;
  }

  /** The stored cursor this file resumes from: its own if still the same file, or a renamed file's. */
  private cursorFor(file: FoundFile, detachedCursors: Map<string, AgentCursor>): AgentCursor | undefined {
    const own = this.stored?.get(file.path);
    const cursor = own && own.identity === file.identity ? own : detachedCursors.get(file.identity);
    return cursor && file.size >= cursor.offset ? cursor : undefined;
  }

  private async visit(file: FoundFile, detachedCursors: Map<string, AgentCursor>, initial: boolean): Promise<void> {
    let state = this.files.get(file.path);
    if (!state) {
      const cursor = this.cursorFor(file, detachedCursors);
      if (cursor && cursor.path !== file.path) detachedCursors.delete(cursor.identity);
      this.stored?.delete(file.path);
      state = {
        path: file.path,
        relativePath: file.relativePath,
        identity: file.identity,
        size: file.size,
        offset: cursor?.offset ?? 0,
        parser: this.format.openFile(file.relativePath, cursor?.state),
        // A cursor taken over from a renamed file is saved under the new path at the next quiet moment.
        dirty: cursor !== undefined && cursor.path !== file.path,
      };
      this.files.set(file.path, state);
    } else if (file.size < state.offset) {
      // Truncated: re-read from the start (requestIds make the lines read twice harmless).
      this.batch.push(state.parser.flush());
      state = { ...state, offset: 0, parser: this.format.openFile(file.relativePath, undefined), dirty: true };
      this.files.set(file.path, state);
    }
    state.size = file.size;
    if (file.size > state.offset) await this.read(state);
    // The first pass (switching a source on, or a start) takes what is on disk as written: its held
    // messages are released at once, so the backlog's totals are complete when the import ends. Only
    // a message an agent is streaming at that very moment can be cut short by it (its later copies
    // are then duplicates); afterwards a file is flushed when it has been quiet for quietMs.
    if (state.dirty && (initial || this.now() - file.mtimeMs >= this.timing.quietMs)) await this.checkpoint(state);
  }

  private async read(state: FileState): Promise<void> {
    for await (const chunk of readLines(state.path, state.offset, { onBytes: (bytes) => (this.counters.bytesRead += bytes) })) {
      for (const line of chunk.lines) {
        const records = state.parser.line(line);
        if (records.length > 0) this.batch.push(records);
      }
      this.counters.linesRead += chunk.lines.length;
      this.progress.bytesDone += chunk.end - state.offset;
      state.offset = chunk.end;
      state.dirty = true;
      if (this.batch.full) await this.batch.drainFull();
      this.report();
      if (this.closing) return;
    }
  }

  /** Flush, then remember once committed: the cursor never runs ahead of what the ledger holds. */
  private async checkpoint(state: FileState): Promise<void> {
    this.batch.push(state.parser.flush());
    this.batch.queueCursor({
      agent: this.agent,
      path: state.path,
      identity: state.identity,
      size: state.size,
      offset: state.offset,
      state: state.parser.checkpoint(),
    });
    state.dirty = false;
    if (this.batch.full) await this.batch.drainFull();
  }
}

import { EXPORT_PROGRESS_EVERY_MS } from '../../../../shared/app.js';
import { progressThrottle } from '../../../../shared/progress-throttle.js';
import type { ExportProgress } from '../../../../shared/types.js';
import type { ExportChunk } from '../../../app/ledger-service.js';

/**
 * The pages' bytes as the file takes them, with the progress reported on the way: at the first page
 * (the total is known then), at most every `everyMs` after, and once at the end with every byte.
 */
export async function* reportingProgress(
  pages: AsyncIterable<ExportChunk>,
  report: (progress: ExportProgress) => void,
  clock: () => number = () => performance.now(),
  everyMs = EXPORT_PROGRESS_EVERY_MS,
): AsyncGenerator<Uint8Array> {
  const progress: ExportProgress = { requests: 0, total: null, bytes: 0 };
  const due = progressThrottle(everyMs, clock);
  for await (const chunk of pages) {
    if (chunk.total !== undefined) progress.total = chunk.total;
    progress.requests += chunk.requests;
    progress.bytes += chunk.bytes.byteLength;
    if (due(false)) report({ ...progress });
    yield chunk.bytes;
  }
  report({ ...progress });
}

import { parentPort, workerData } from 'node:worker_threads';
import { toJsonAnswer } from './json-answers.js';
import { encodeError, type MainMessage, type ReadWorkerData, type WorkerMessage } from './protocol.js';
import { ReadReplica } from './read-replica.js';

/**
 * The read worker's entry (a worker_threads thread started by ReadWorkerClient): answers read calls
 * from its own read-only connection, one at a time, so the main thread's event loop stays free for
 * ingest and HTTP while a big history is summed. Answers for HTTP are serialised here too: turning a
 * 1.6 MB history into JSON is as much work as reading it.
 */
const port = parentPort;
if (!port) throw new Error('read-worker.js runs as a worker thread');
const { file, nativeBinding } = workerData as ReadWorkerData;
const replica = ReadReplica.open(file, nativeBinding ? { nativeBinding } : {});
const send = (message: WorkerMessage) => port.postMessage(message);

port.on('message', (message: MainMessage) => {
  if (message === 'close') {
    // Calls sent before 'close' were answered already (messages arrive in order): end cleanly.
    replica.close();
    port.close();
    return;
  }
  try {
    const value = replica.answer(message.call, message.now);
    send({ type: 'reply', id: message.id, ok: true, value: message.form === 'json' ? toJsonAnswer(message.call, value) : value });
  } catch (error) {
    send({ type: 'reply', id: message.id, ok: false, error: encodeError(error) });
  }
});
send({ type: 'ready' });

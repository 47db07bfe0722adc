import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThread } from '../threads/background-priority.js';
import { AnswerBuffers } from './answer-buffers.js';
import { jsonBytes, toJsonAnswer } from './json-answers.js';
import { encodeError, type MainMessage, type ReadResults, type ReadWorkerData, type WorkerMessage } from './protocol.js';
import { ReadReplica } from './read-replica.js';

/**
 * The read worker's entry (a worker_threads thread started by ReadWorkerClient): answers read calls
 * from its own read-only connection, one at a time, so the main thread's event loop stays free for
 * ingest and HTTP while a big history is summed. Answers for HTTP are serialised here too: turning a
 * 1.6 MB history into JSON is as much work as reading it.
 */
const port = parentPort;
if (!port) throw new Error('read-worker.js runs as a worker thread');
const { file, nativeBinding, nice } = workerData as ReadWorkerData;
lowerThisThread(nice ?? 0);
const replica = ReadReplica.open(file, nativeBinding ? { nativeBinding } : {});
const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const buffers = new AnswerBuffers();
const take = (size: number) => buffers.take(size);

port.on('message', (message: MainMessage) => {
  if (message === 'close') {
    // Calls sent before 'close' were answered already (messages arrive in order): end cleanly.
    replica.close();
    port.close();
    return;
  }
  if ('recycle' in message) {
    buffers.give(message.recycle);
    return;
  }
  try {
    const { call } = message;
    if (message.form === 'json' && call.op === 'history') {
      // Written as the summed grid is shaped: no bucket object, no string kept per bucket.
      const bytes = replica.historyJson(call.args, message.now, take);
      send({ type: 'reply', id: message.id, ok: true, value: { jsonBytes: bytes } }, [bytes.buffer as ArrayBuffer]);
      return;
    }
    const value = replica.answer(call, message.now);
    if (call.op === 'export') {
      // A page of an export: its bytes (memory of their own) go over without a copy.
      const { bytes } = value as ReadResults['export'];
      send({ type: 'reply', id: message.id, ok: true, value }, [bytes.buffer as ArrayBuffer]);
    } else if (message.form === 'object') {
      send({ type: 'reply', id: message.id, ok: true, value });
    } else if (call.op === 'summary') {
      // The main thread appends the conversion and savings to a summary's text: it stays a string.
      send({ type: 'reply', id: message.id, ok: true, value: toJsonAnswer(call, value) });
    } else {
      // A buffer of its own (never Buffer's shared pool): transferred, the main thread gets it
      // uncopied; a big one comes back once sent (RecycleMessage).
      const bytes = jsonBytes(value, take);
      send({ type: 'reply', id: message.id, ok: true, value: { jsonBytes: bytes } }, [bytes.buffer as ArrayBuffer]);
    }
  } catch (error) {
    send({ type: 'reply', id: message.id, ok: false, error: encodeError(error) });
  }
});
send({ type: 'ready' });

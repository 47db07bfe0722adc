import type { JsonAnswer } from './protocol.js';

/**
 * One answer handed to several callers who asked the same read (ReadWorkerPool joins them): each gets
 * its own JsonAnswer over the same text, and the worker's memory goes back (the answer's release) only
 * once every one of them has released it. Released earlier, the bytes would be gone from under the
 * responses still being written. A caller that never releases only keeps the memory from being
 * reused, as with a single caller.
 */
export function shareAnswer(answer: JsonAnswer, holders: number): JsonAnswer[] {
  if (holders === 1) return [answer];
  const { release } = answer;
  let holding = holders;
  return Array.from({ length: holders }, () => {
    const copy: JsonAnswer = { json: answer.json };
    if (answer.facts !== undefined) copy.facts = answer.facts;
    if (release !== undefined) {
      let released = false;
      copy.release = () => {
        if (released) return;
        released = true;
        if (--holding === 0) release();
      };
    }
    return copy;
  });
}

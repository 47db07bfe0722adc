import { screen } from '@testing-library/svelte';

/** A promise the test settles when it says. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A call answered when the test says, as a long write of a big ledger answers after seconds. */
export function pending<T>() {
  const { promise, resolve } = deferred<T>();
  return { call: () => promise, answer: (value: T) => resolve(value) };
}

/** The text of the progress line with this testid (ProgressLine). */
export const progressText = (testid: string) => screen.getByTestId(`${testid}-text`).textContent?.trim();

/** The bar of the progress line with this testid. */
export const progressBar = (testid: string) => screen.getByTestId(testid).querySelector('progress')!;

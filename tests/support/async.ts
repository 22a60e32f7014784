/**
 * Small coordination helpers so tests order events with promises, never with
 * sleeps. The only timers here bound a wait that should succeed: they turn a
 * hang into a clear failure and are always cleared.
 *
 * @module
 */

/** A promise that the test resolves by hand. */
export interface Latch<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  readonly settled: boolean;
}

/** Creates a {@linkcode Latch}. */
export function latch<T = void>(): Latch<T> {
  const { promise, resolve } = Promise.withResolvers<T>();
  let settled = false;
  return {
    promise,
    resolve(value: T) {
      settled = true;
      resolve(value);
    },
    get settled() {
      return settled;
    },
  };
}

/** Waits for `promise`, failing with `what` if it takes longer than `ms` (a hang guard). */
export async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it returns `true` or a value (not `false`, not
 * `undefined`), for state written off the response path (a success clears
 * strikes without holding up the response), and returns it. Bounded by `ms`:
 * it only turns a hang into a clear failure, never times anything.
 */
export async function eventually<T>(
  check: () => T | false | undefined | Promise<T | false | undefined>,
  what = "a condition",
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Opens `latches` when its `using` scope ends. Declared after the gateway and
 * mocks, it is disposed first, so a failing test ends instead of hanging on a
 * server that still waits for a latch to finish a response.
 */
export function openOnExit(...latches: Latch[]): Disposable {
  return {
    [Symbol.dispose]() {
      for (const each of latches) each.resolve();
    },
  };
}

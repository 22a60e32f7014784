/**
 * The first module `lib/serve.ts` evaluates: it listens for SIGINT and
 * SIGTERM before the gateway's own modules are evaluated and booted. In
 * `deno serve --parallel` a signal reaches only the listeners added by then;
 * another worker's listener takes it for the process, so a worker still
 * starting would never hear of it and would serve on. With this, that
 * worker shuts down once it has booted ({@linkcode signalled}).
 *
 * @module
 */

const { promise, resolve } = Promise.withResolvers<void>();

/** Resolves at the first SIGINT or SIGTERM this process gets after this module was evaluated. */
export const signalled: Promise<void> = promise;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(signal, () => resolve());
  } catch {
    // No such signal here (Windows SIGTERM): the process ends with its console.
  }
}

/**
 * Mock upstream accounts for tests: the shared `startMockUpstream` (a real
 * `Deno.serve` on a loopback port) made disposable with `await using`, plus
 * the upstream answers the tests need again and again.
 *
 * @module
 */

import {
  chatCompletion,
  json,
  type MockHandler,
  type MockUpstream,
  startMockUpstream,
} from "../../scripts/support/mock_upstream.ts";
import { within } from "./async.ts";

export {
  anthropicMessage,
  chatCompletion,
  json,
  type MockHandler,
  type MockHit,
} from "../../scripts/support/mock_upstream.ts";

/** A mock upstream that closes at the end of its `await using` scope. */
export type TestUpstream = MockUpstream & AsyncDisposable;

/** Starts a mock upstream answering with `handler`. */
export function upstream(handler: MockHandler): TestUpstream {
  const mock = startMockUpstream(handler);
  return Object.assign(mock, {
    // Bounded, like the gateway's: a hung exchange fails the test instead of hanging the run.
    [Symbol.asyncDispose]: () => within(mock.close(), "the mock upstream to shut down"),
  });
}

/** A loopback URL where nothing listens: connecting is refused. */
export function refusedUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

/**
 * Never sends response headers; answers only once the caller gives up (aborts)
 * or, so that a failing test cannot hang, once `release` settles.
 */
export function hangUntilAborted(
  request: Request,
  release?: Promise<unknown>,
): Promise<Response> {
  return new Promise((resolve) => {
    const done = () => resolve(new Response("too late", { status: 200 }));
    if (request.signal.aborted) done();
    else request.signal.addEventListener("abort", done, { once: true });
    release?.then(done);
  });
}

/** The Codex passthrough answer that started the project. */
export const USAGE_LIMIT_403 = {
  error: { message: "usage limit reached", type: "forbidden_error" },
};

/** A plain OpenAI-shaped error body. */
export function openaiError(message: string, type = "server_error"): unknown {
  return { error: { message, type, param: null, code: null } };
}

/** A plain Anthropic-shaped error body. */
export function anthropicError(message: string, type = "api_error"): unknown {
  return { type: "error", error: { type, message } };
}

/**
 * Two mock OpenAI accounts for dashboard tests: `codex-1` (passthrough,
 * priority 1) answers like `oa-1` until `exhaust()` makes it answer the Codex
 * "usage limit reached" 403; `oa-1` (priority 2) always answers.
 */
export function exhaustibleAccounts(reply: string): {
  accounts: Record<string, unknown>[];
  /** Base URL of the always-healthy mock, for further accounts. */
  healthyUrl: string;
  exhaust(): void;
  close(): Promise<void>;
} {
  let exhausted = false;
  const codex = startMockUpstream(() =>
    exhausted
      ? json(403, { error: { message: "usage limit reached", type: "forbidden_error" } })
      : json(200, chatCompletion(reply))
  );
  const healthy = startMockUpstream(() => json(200, chatCompletion(reply)));
  return {
    accounts: [
      {
        id: "codex-1",
        platform: "openai",
        passthrough: true,
        baseUrl: codex.url,
        apiKey: "sk-a",
        priority: 1,
      },
      { id: "oa-1", platform: "openai", baseUrl: healthy.url, apiKey: "sk-b", priority: 2 },
    ],
    healthyUrl: healthy.url,
    exhaust: () => exhausted = true,
    close: async () => {
      await codex.close();
      await healthy.close();
    },
  };
}

/**
 * Sticky sessions: one conversation keeps going to the account that served
 * it, so that account's prompt cache keeps paying off.
 *
 * The session key comes from, first match wins: the `session_id`,
 * `session-id` or `conversation_id` header; the body's `prompt_cache_key`;
 * the Anthropic body's `metadata.user_id`. No key, no binding: traffic is
 * never pinned through a fallback hash.
 *
 * A binding lives in KV for an hour, refreshed on use, under
 * `["switchyard", "session", scope, sha256(key)]` (the raw key, which may
 * name a user, is never stored). Availability beats stickiness: the planner
 * (`lib/planning/planner.ts`) puts the bound account first only among the
 * accounts that can serve right now.
 *
 * While the KV does not answer, a lookup falls back to the bindings this
 * process last read or wrote (kept in memory, bounded), and a binding's
 * write is kept and retried until it lands (`lib/kv/retry_queue.ts`): a
 * request never waits on the store past its deadline.
 *
 * @module
 */

import { sha256Hex } from "../crypto/digest.ts";
import { sessionKey } from "../kv/keys.ts";
import { KvReachability, KvUnreachable } from "../kv/reachability.ts";
import { withLockRetry } from "../kv/retry.ts";
import { RetryQueue } from "../kv/retry_queue.ts";

/** How long a binding lives without use. */
export const SESSION_TTL_MS = 3600_000;

/** A use rewrites the binding only once it is this old, to spare KV writes. */
const REFRESH_AFTER_MS = 5 * 60_000;

const SESSION_HEADERS = ["session_id", "session-id", "conversation_id"];

/** The session key of a request (its body parsed, or `undefined`), if it carries one. */
export function sessionKeyOf(headers: Headers, body: unknown): string | undefined {
  for (const name of SESSION_HEADERS) {
    const value = headers.get(name)?.trim();
    if (value) return `h:${value}`;
  }
  if (body === null || typeof body !== "object") return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.prompt_cache_key === "string" && record.prompt_cache_key !== "") {
    return `p:${record.prompt_cache_key}`;
  }
  const metadata = record.metadata;
  if (metadata !== null && typeof metadata === "object") {
    const userId = (metadata as Record<string, unknown>).user_id;
    if (typeof userId === "string" && userId !== "") return `u:${userId}`;
  }
  return undefined;
}

/** A session's current binding. */
export interface Binding {
  account: string;
  /** Epoch ms when it lapses. */
  until: number;
}

/** Bindings kept in memory per process, for lookups while the KV is down. */
const MEMORY_LIMIT = 10_000;

/** Session bindings in KV. */
export class SessionBindings {
  readonly #memory = new Map<string, Binding>();
  readonly #writes: RetryQueue;

  constructor(
    private readonly kv: Deno.Kv,
    private readonly reach: KvReachability = new KvReachability(),
  ) {
    this.#writes = new RetryQueue(reach, "session binding write");
  }

  /** The live binding of a session, if any. */
  async lookup(scope: string, sessionKey: string): Promise<Binding | undefined> {
    const key = bindingKey(scope, sessionKey);
    const id = JSON.stringify(key);
    let binding: Binding | null | undefined;
    try {
      const entry = await this.reach.call(
        "read a session",
        () => withLockRetry(() => this.kv.get<Binding>(key)),
      );
      binding = entry.value;
      if (binding) this.#remember(id, binding);
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
      binding = this.#memory.get(id);
    }
    return binding && binding.until > Date.now() ? binding : undefined;
  }

  /** Waits for retries under way (tests and shutdown). */
  settled(): Promise<void> {
    return this.#writes.settled();
  }

  /** Shutdown: one last try of kept writes. */
  close(): Promise<void> {
    return this.#writes.close();
  }

  #remember(id: string, binding: Binding): void {
    this.#memory.delete(id);
    this.#memory.set(id, binding);
    if (this.#memory.size > MEMORY_LIMIT) this.#memory.delete(this.#memory.keys().next().value!);
  }

  /** Records that `accountId` served the session; a no-op for a recent, same binding. */
  async served(
    scope: string,
    sessionKey: string,
    accountId: string,
    previous: Binding | undefined,
  ): Promise<void> {
    const now = Date.now();
    if (
      previous?.account === accountId && previous.until - now > SESSION_TTL_MS - REFRESH_AFTER_MS
    ) {
      return;
    }
    const key = bindingKey(scope, sessionKey);
    const binding: Binding = { account: accountId, until: now + SESSION_TTL_MS };
    const id = JSON.stringify(key);
    this.#remember(id, binding);
    await this.#writes.put(
      id,
      () => withLockRetry(() => this.kv.set(key, binding, { expireIn: SESSION_TTL_MS })),
    );
  }
}

function bindingKey(scope: string, session: string): Deno.KvKey {
  return sessionKey(scope, sha256Hex(session));
}

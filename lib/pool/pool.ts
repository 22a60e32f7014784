/**
 * The pool features for subscription accounts, wired around the failover
 * loop: OAuth credentials, sticky sessions, concurrency slots with a queue,
 * quota snapshots and the `avoidAbovePercent` preference.
 *
 * {@linkcode Pool.dispatch} takes a planned request (healthy accounts, best
 * first) and
 * 1. puts accounts above their group's `avoidAbovePercent` last;
 * 2. puts the session's bound account first, if it is among them;
 * 3. where a key or account has a `concurrency` limit, takes slots, waiting
 *    up to `queueTimeoutSeconds` when all are taken (streaming requests get
 *    SSE comment keep-alives), then answers 429 with `Retry-After`;
 * 4. runs the failover loop and binds the session to the account that served.
 *
 * Costs on the hot path only what is configured: no session key, no KV read
 * for sessions; no limits, no slot leases.
 *
 * @module
 */

import type { Account, ClientKey, Config, Group } from "../config/types.ts";
import { type Slot, SlotLeases } from "../concurrency/leases.ts";
import {
  ACCOUNT_HEADER,
  forwardWithFailover,
  type ProxyContext,
  type ProxyRequest,
} from "../failover/proxy.ts";
import { errorResponse, type Surface } from "../http/errors.ts";
import { onResponseEnd } from "../http/observed_stream.ts";
import { MIN_SECRET_LENGTH, SecretBox } from "../crypto/secret_box.ts";
import { applyOAuthHeaders } from "../oauth/headers.ts";
import { OAuthManager } from "../oauth/manager.ts";
import { TokenStore } from "../oauth/token_store.ts";
import { QuotaBook } from "../quota/snapshots.ts";
import { bindFirst, SessionBindings, sessionKeyOf } from "../sessions/sticky.ts";
import type { ProxyHooks } from "./hooks.ts";

/** What the pool needs of a client key (config or API-created). */
export type PoolKey = Pick<ClientKey, "id" | "group" | "concurrency">;

/** Marks the pool's own event stream for a request still waiting for a slot (no account yet). */
export const QUEUED_HEADER = "x-switchyard-queued";

/** Default wait for a concurrency slot. */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 30;

/** A problem that stops start-up (shown as one line, like a config error). */
export class PoolSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoolSetupError";
  }
}

/** What a pool is built from. */
export interface PoolOptions {
  config: Config;
  kv: Deno.Kv;
  /** `SWITCHYARD_SECRET`: encrypts refreshed OAuth tokens; required with OAuth accounts. */
  secret?: string;
  /** Tuning for tests. */
  tuning?: {
    oauthLeaseMs?: number;
    oauthPollMs?: number;
    /** How often a queued request looks for slots freed by other processes. */
    queuePollMs?: number;
    /** Silence before a queued streaming request gets its first keep-alive, and between them. */
    keepAliveMs?: number;
    slotLeaseMs?: number;
  };
}

/** The pool features of one gateway. */
export class Pool {
  readonly slots: SlotLeases;
  readonly sessions: SessionBindings;
  readonly quotas: QuotaBook;
  readonly oauth?: OAuthManager;
  readonly hooks: ProxyHooks;
  readonly #groups: Map<string, Group>;
  readonly #queueTimeoutMs: number;
  readonly #queuePollMs: number;
  readonly #keepAliveMs: number;
  readonly #pending = new Set<Promise<unknown>>();

  private constructor(options: PoolOptions, box: SecretBox | undefined) {
    const { config, kv, tuning = {} } = options;
    this.slots = new SlotLeases(kv, { leaseMs: tuning.slotLeaseMs });
    this.sessions = new SessionBindings(kv);
    this.quotas = new QuotaBook(kv);
    if (box) {
      this.oauth = new OAuthManager(new TokenStore(kv, box), {
        leaseMs: tuning.oauthLeaseMs,
        pollMs: tuning.oauthPollMs,
        retryAfterMs: () => config.failover.cooldownSeconds.unreachable * 1000,
      });
    }
    this.#groups = new Map(config.groups.map((group) => [group.id, group]));
    this.#queueTimeoutMs = (config.queueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_SECONDS) * 1000;
    this.#queuePollMs = tuning.queuePollMs ?? 200;
    this.#keepAliveMs = tuning.keepAliveMs ?? 5_000;
    const oauth = this.oauth;
    const slots = this.slots;
    const quotas = this.quotas;
    this.hooks = {
      async authorize(account, headers, rejectedToken) {
        if (!account.oauth || !oauth) return undefined;
        const result = rejectedToken
          ? await oauth.refreshRejected(account, rejectedToken)
          : await oauth.credential(account);
        if (!result.ok) return result;
        applyOAuthHeaders(headers, account, result.tokens);
        return { ok: true, token: result.tokens.accessToken };
      },
      slot: (account) =>
        account.concurrency === undefined
          ? undefined
          : slots.tryAcquire("account", account.id, account.concurrency),
      observe: (account, headers) => quotas.record(account.id, headers),
    };
  }

  /** Builds the pool; OAuth accounts need a `SWITCHYARD_SECRET` of 16+ characters. */
  static async create(options: PoolOptions): Promise<Pool> {
    const needsSecret = options.config.accounts.some((account) => account.oauth);
    let box: SecretBox | undefined;
    if (options.secret) {
      box = await SecretBox.fromSecret(options.secret, "oauth-tokens").catch((error) => {
        throw new PoolSetupError(error.message);
      });
    } else if (needsSecret) {
      throw new PoolSetupError(
        `SWITCHYARD_SECRET is not set: OAuth accounts need it (${MIN_SECRET_LENGTH}+ characters) to encrypt refreshed tokens in KV`,
      );
    }
    return new Pool(options, box);
  }

  /** Forwards a planned request with sessions, slots and preferences applied. */
  async dispatch(proxy: ProxyContext, job: ProxyRequest, key: PoolKey): Promise<Response> {
    const group = this.#groups.get(key.group);
    let accounts = this.quotas.preferBelow(job.accounts, group?.avoidAbovePercent);
    const sessionKey = sessionKeyOf(job.request.headers, job.body);
    const scope = `${key.group}/${job.route.provider.platform}`;
    const binding = sessionKey
      ? await this.sessions.lookup(scope, sessionKey).catch(() => undefined)
      : undefined;
    accounts = bindFirst(accounts, binding?.account);

    const limited = key.concurrency !== undefined ||
      accounts.some((account) => account.concurrency !== undefined);
    const bind = async (response: Response) => {
      const served = response.headers.get(ACCOUNT_HEADER);
      if (!sessionKey || !served || response.status >= 400) return;
      await this.sessions.served(scope, sessionKey, served, binding).catch((error) =>
        console.error(JSON.stringify({
          level: "error",
          msg: "session binding failed",
          error: String(error),
        }))
      );
    };
    if (!limited) {
      const response = await forwardWithFailover(proxy, { ...job, accounts });
      await bind(response);
      return response;
    }
    return await this.#queued(proxy, { ...job, accounts }, key, bind);
  }

  /** Waits for background KV writes (tests and shutdown). */
  async settled(): Promise<void> {
    await this.quotas.settled();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #queued(
    proxy: ProxyContext,
    job: ProxyRequest,
    key: PoolKey,
    bind: (response: Response) => Promise<void>,
  ): Promise<Response> {
    const surface = job.route.provider.surface;
    const signal = job.request.signal;
    const started = Date.now();
    const deadline = started + this.#queueTimeoutMs;
    let keySlot: Slot | undefined;
    const grab = async (): Promise<Grabbed | undefined> => {
      if (key.concurrency !== undefined && !keySlot) {
        keySlot = await this.slots.tryAcquire("key", key.id, key.concurrency) ?? undefined;
        if (!keySlot) return undefined;
      }
      for (const account of job.accounts) {
        if (account.concurrency === undefined) return { account };
        const slot = await this.slots.tryAcquire("account", account.id, account.concurrency);
        if (slot) return { account, slot };
      }
      return undefined;
    };
    const forward = async (grabbed: Grabbed): Promise<Response> => {
      // Availability first: the account that had a free slot leads.
      const accounts = [grabbed.account, ...job.accounts.filter((a) => a !== grabbed.account)];
      let first = grabbed.slot;
      const hooks: ProxyHooks = {
        ...proxy.hooks,
        slot: (account) => {
          if (account === grabbed.account && first) {
            const slot = first;
            first = undefined;
            return Promise.resolve(slot);
          }
          return proxy.hooks?.slot?.(account);
        },
      };
      const response = await forwardWithFailover({ ...proxy, hooks }, { ...job, accounts });
      if (first) void first.release();
      await bind(response);
      return response;
    };
    const releaseKey = () => {
      if (keySlot) this.#track(keySlot.release());
    };
    const timedOut = () => {
      const seconds = Math.ceil(this.#queueTimeoutMs / 1000);
      return `every account is at its concurrency limit; waited ${seconds}s for a free slot`;
    };

    // Wait quietly first; a streaming request that must wait longer gets keep-alives.
    const quietUntil = Math.min(deadline, started + this.#keepAliveMs);
    let grabbed = await grab();
    while (!grabbed && Date.now() < quietUntil && !signal.aborted) {
      await this.slots.changed(Math.min(this.#queuePollMs, quietUntil - Date.now()), signal);
      grabbed = await grab();
    }
    if (grabbed) return onResponseEnd(await forward(grabbed), releaseKey);
    if (signal.aborted) {
      releaseKey();
      return errorResponse(surface, 499, "client closed the request");
    }
    if (Date.now() >= deadline || !wantsStream(job.body)) {
      while (!grabbed && Date.now() < deadline && !signal.aborted) {
        await this.slots.changed(Math.min(this.#queuePollMs, deadline - Date.now()), signal);
        grabbed = await grab();
      }
      if (grabbed) return onResponseEnd(await forward(grabbed), releaseKey);
      releaseKey();
      return errorResponse(surface, 429, timedOut(), { "retry-after": "1" });
    }

    // Streaming: commit to a 200 event stream and keep the connection alive while waiting.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const run = (async () => {
      try {
        await writer.write(encoder.encode(": waiting for a free account slot\n\n"));
        let nextPing = Date.now() + this.#keepAliveMs;
        while (!grabbed) {
          const now = Date.now();
          if (signal.aborted) return;
          if (now >= deadline) {
            await writer.write(encoder.encode(errorEvent(surface, 429, timedOut())));
            await writer.close();
            return;
          }
          if (now >= nextPing) {
            await writer.write(encoder.encode(": keep-alive\n\n"));
            nextPing = now + this.#keepAliveMs;
          }
          await this.slots.changed(
            Math.min(this.#queuePollMs, deadline - now, nextPing - now),
            signal,
          );
          grabbed = await grab();
        }
        const response = await forward(grabbed);
        if (response.status < 400 && response.body) {
          writer.releaseLock();
          await response.body.pipeTo(writable);
          return;
        }
        const text = response.body ? await response.text() : "";
        await writer.write(encoder.encode(errorEventFromBody(surface, response.status, text)));
        await writer.close();
      } catch {
        await writable.abort().catch(() => {});
      } finally {
        releaseKey();
      }
    })();
    this.#track(run);
    return new Response(readable, {
      status: 200,
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        [QUEUED_HEADER]: "true",
      },
    });
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

interface Grabbed {
  account: Account;
  slot?: Slot;
}

/** Does the request body ask for a stream? */
function wantsStream(body: Uint8Array | null): boolean {
  if (!body) return false;
  return /"stream"\s*:\s*true/.test(new TextDecoder().decode(body));
}

/** An SSE error event in the surface's error shape. */
function errorEvent(surface: Surface, status: number, message: string): string {
  const body = surface === "anthropic"
    ? { type: "error", error: { type: status === 429 ? "rate_limit_error" : "api_error", message } }
    : {
      type: "error",
      error: {
        message,
        type: status === 429 ? "rate_limit_error" : "server_error",
        code: status === 429 ? "rate_limit_exceeded" : null,
        param: null,
      },
    };
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}

/** An upstream error response, re-sent as an SSE error event. */
function errorEventFromBody(surface: Surface, status: number, text: string): string {
  try {
    const json = JSON.parse(text);
    if (json !== null && typeof json === "object" && !Array.isArray(json)) {
      return `event: error\ndata: ${JSON.stringify({ type: "error", ...json })}\n\n`;
    }
  } catch {
    // not JSON: fall through
  }
  return errorEvent(surface, status, `upstream answered ${status}`);
}

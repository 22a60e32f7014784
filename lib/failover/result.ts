/**
 * What goes into the failover loop and what comes out of it. The loop takes
 * a {@linkcode FailoverJob} (the request, ready to send, and the accounts in
 * the order to try them) and returns a {@linkcode FailoverResult}: the
 * response, every attempt with its outcome, the account that served, and the
 * effects it applied to account health. Nothing travels back through headers
 * or shared arrays.
 *
 * @module
 */

import type { AccountEffect } from "../accounts/model.ts";
import type { Account } from "../config/types.ts";
import type { Surface } from "../http/errors.ts";
import type { Slot } from "../leases/slots.ts";
import type { Api } from "../protocols/translate/ir.ts";
import type { TokenUsage } from "../protocols/usage.ts";

/** Response header naming the account that served a request (ids are not secrets). */
export const ACCOUNT_HEADER = "x-switchyard-account";

/** Response header naming the model the serving account was asked for. */
export const MODEL_HEADER = "x-switchyard-model";

/** How one attempt ended. */
export type AttemptOutcome =
  /** The answer (< 400) was relayed. */
  | "success"
  /** An error that moved the request on. */
  | "failover"
  /** An error passed back to the client. */
  | "passback"
  /** No response headers: refused, reset, the headers timeout. */
  | "unreachable"
  /** A reused keep-alive connection closed before any response byte: tried again on a fresh one. */
  | "stale-connection"
  /** The client went away. */
  | "client-gone"
  /** The account was at its concurrency limit: skipped, not tried. */
  | "full"
  /** The request cannot be put in the account's API (a field it cannot do without): skipped. */
  | "untranslatable"
  /** An OAuth account answered 401: refresh the token, retry the same account. */
  | "refresh"
  /** The blast radius spared the account its error's effect. */
  | "spared"
  /** Two accounts gave the same non-quota error: the request stops here. */
  | "blast-radius-stop"
  /** No usable credential (an OAuth refresh failed). */
  | "auth"
  /** A 200 stream failed before its first content. */
  | "dropped"
  /** An error event before the first content, moved on or passed back. */
  | "preamble-failover"
  | "preamble-passback";

/** What an attempt did to the account, as far as logs and metrics tell it. */
export type AttemptEffect = Extract<AccountEffect, { kind: "cooldown" | "disable" }>;

/** One attempt, for logs and metrics. */
export interface Attempt {
  account: string;
  outcome: AttemptOutcome;
  status?: number;
  effect?: AttemptEffect;
  /** The error rule that decided, by name. */
  rule?: string;
  /** When the attempt started (epoch ms) and how long until headers or failure. */
  startedAt?: number;
  ms?: number;
  /** The attempt was a disabled account's half-open probe. */
  probe?: true;
}

/** One client request, ready to forward. */
export interface FailoverJob {
  /** The client's request: method, headers and the signal that aborts when it goes away. */
  request: Request;
  /** The path after `/v1`, e.g. `/chat/completions`. */
  upstreamPath: string;
  /** The query string, with its `?`, or empty. */
  search: string;
  surface: Surface;
  body: Uint8Array<ArrayBuffer> | null;
  /**
   * The request as one account gets it, when that differs per account: the
   * chat usage request (`lib/protocols/chat/usage_injection.ts`), or the
   * request translated into the account's API. Without it every account gets
   * `body` at `upstreamPath`.
   */
  prepare?: (account: Account) => Prepared;
  /** The request body's `model` (parsed once, `lib/protocols/body_fields.ts`). */
  model?: () => string | undefined;
  /** The accounts in the order to try them (`lib/planning/planner.ts`): a claimed probe first. */
  accounts: readonly Account[];
  /** The claimed half-open probe of a disabled account among `accounts`. */
  probe?: { accountId: string; claim: string };
  /** A concurrency slot the lease stage already holds for one of `accounts`. */
  leased?: { account: Account; slot?: Slot };
}

/** How an upstream's answer in its own API reaches a client of another (or a non-streaming client of a streaming-only upstream). */
export interface Translation {
  /** The upstream's API. */
  from: Api;
  /** The client's API. */
  to: Api;
  /** The client asked for a stream. */
  stream: boolean;
  /** A Chat client asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** The upstream streams although the client did not: the stream is aggregated (Codex). */
  aggregate: boolean;
}

/** The request for one account, or why that account cannot be sent it. */
export type Prepared =
  | {
    ok: true;
    body: Uint8Array<ArrayBuffer> | null;
    upstreamPath: string;
    /** How the answer is translated for the client; absent when it goes as it is. */
    translation?: Translation;
    /** The model name sent upstream, for the `x-switchyard-model` header. */
    model?: string;
  }
  /** `status` and `body` in the client's error shape, answered if no other account can serve. */
  | { ok: false; status: number; body: string };

/** An effect the loop handed to the health store. */
export interface AppliedEffect {
  account: string;
  effect: AccountEffect;
}

/** What forwarding came to. */
export interface FailoverResult {
  response: Response;
  attempts: Attempt[];
  /** The account whose answer the response carries (also named in `x-switchyard-account`). */
  served?: Account;
  /**
   * A success event stream still in the upstream's API: the relay translates
   * it chunk by chunk (`lib/usage/tap.ts`) after the usage tap read it.
   */
  translation?: Translation;
  /**
   * The response's whole body, when it was read before answering (a JSON
   * success): the relay reads its usage from these bytes, with no stream.
   */
  whole?: Uint8Array<ArrayBuffer>;
  /** A translated `whole` body's usage as the upstream reported it (more counts than the client's API has). */
  wholeUsage?: TokenUsage;
  effects: AppliedEffect[];
}

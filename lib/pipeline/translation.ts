/**
 * Protocol translation in the pipeline: how each account of a group serves a
 * request ({@linkcode RequestShape.mode}, for the planner) and the request
 * as each account gets it ({@linkcode RequestShape.prepare}, for the
 * failover loop, once per attempt):
 *
 * - natively: the body as the client sent it (a standard account's chat
 *   request with the usage chunk asked for), without the signed thinking
 *   another Anthropic account made (its signers looked up beforehand,
 *   {@linkcode RequestShape.thinkingMarks}); a Codex account's Responses
 *   request made acceptable to the ChatGPT backend (`codexRequest`: store
 *   off, streaming, Codex CLI's fields), aggregated back into one JSON body
 *   for a non-streaming client;
 * - through translation: account-bound state dropped (signed thinking,
 *   encrypted reasoning; a stored-conversation reference refuses), the body
 *   translated into the account's API and sent to that API's path (then
 *   `codexRequest` for Codex), the answer translated back for the client
 *   (these bodies are built in `translated_body.ts`).
 *
 * Fields a translation leaves out go to a debug log line; a request that
 * cannot be put in an account's API without a field skips that account, and
 * gets 400 naming the field when no account could take it.
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import type { Prepared } from "../failover/result.ts";
import { debugLogger } from "../log.ts";
import {
  type ServingMode,
  servingMode,
  type ServingRequest,
  unservedReason,
} from "../planning/serving.ts";
import { clientApiOf } from "../protocols/api_route.ts";
import type { UsageInjection } from "../protocols/chat/usage_injection.ts";
import { isClaudeCodeRequest } from "../protocols/claude/client.ts";
import { isObject, type JsonObject } from "../protocols/json.ts";
import { isModelListing, listingPath } from "../protocols/model_list.ts";
import { upstreamModel } from "../config/models.ts";
import {
  dropAccountState,
  keepOwnThinking,
  keepsUnknownThinking,
  thinkingMarks,
} from "../protocols/translate/account_state.ts";
import type { Api, Dropped } from "../protocols/translate/ir.ts";
import { isCodexAccount, nativeApis } from "../providers/provider.ts";
import { codexBody, jsonBytes, translatedBody } from "./translated_body.ts";

const debug = debugLogger("translate");

/** What the pipeline knows of a request, for planning and per-account preparation. */
export interface RequestInput {
  method: string;
  headers: Headers;
  platform: Platform;
  upstreamPath: string;
  body: Uint8Array<ArrayBuffer> | null;
  /** The body parsed (once, at admission), when it is a JSON object. */
  json: JsonObject | undefined;
  /** The body as text, decoded at admission (set with `json`). */
  text: string;
  /** The group allows translation (`"translate": false` turns it off). */
  translate: boolean;
  /** The chat usage request for standard accounts, when planned. */
  injection: UsageInjection | null;
  /** The requested model after the group's aliases, when the body names one. */
  model?: string;
}

/** A request's serving modes and per-account bodies, computed once each. */
export class RequestShape {
  readonly api: Api | undefined;
  #claudeCode: boolean | undefined;
  readonly #prepared = new Map<Account, Prepared>();
  /** The account the request's session is bound to, once planning looked it up. */
  boundAccount: string | undefined;
  /** The account planned first (a claimed probe aside), once planning is done. */
  plannedFirst: string | undefined;
  /** Who signed the request's thinking blocks, by mark, once looked up (`lib/accounts/thinking_signers.ts`). */
  signers: ReadonlyMap<string, string> = new Map();
  #signed: boolean | undefined;

  constructor(private readonly input: RequestInput) {
    this.api = clientApiOf(input.method, input.upstreamPath);
  }

  /** How `account` serves this request, or `null` when it cannot (its API, or the model). */
  mode(account: Account): ServingMode | null {
    const { model } = this.input;
    if (model !== undefined && upstreamModel(account.models, model) === null) return null;
    return this.apiMode(account);
  }

  /** How `account` serves this request's API, whatever the model. */
  apiMode(account: Account): ServingMode | null {
    return servingMode(account, this.#serving());
  }

  /** Why none of `accounts` serves this request's API, by kind or protocol; `undefined` if one does. */
  unservedReason(accounts: readonly Account[]): string | undefined {
    return unservedReason(accounts, this.#serving());
  }

  #serving(): ServingRequest {
    return {
      platform: this.input.platform,
      api: this.api,
      translate: this.input.translate,
      // Parsing the body is left to the one account kind that needs to know.
      claudeCode: () => this.api === "messages" && this.#isClaudeCode(),
      listing: isModelListing(this.input.method, this.input.upstreamPath),
    };
  }

  /** The request as `account` gets it. */
  prepare(account: Account): Prepared {
    let prepared = this.#prepared.get(account);
    if (!prepared) {
      prepared = this.#prepare(account);
      this.#prepared.set(account, prepared);
    }
    return prepared;
  }

  #prepare(account: Account): Prepared {
    const prepared = this.#translate(account);
    const model = this.#upstreamModel(account);
    return prepared.ok && model !== undefined ? { ...prepared, model } : prepared;
  }

  #translate(account: Account): Prepared {
    const { api } = this;
    const { body, upstreamPath, injection } = this.input;
    const renamed = this.#renamed(account);
    const asIs: Prepared = {
      ok: true,
      body: renamed === undefined ? injection?.bodyFor(account) ?? body : jsonBytes(renamed),
      upstreamPath,
    };
    if (api === undefined) {
      // A model listing may go to the other platform's account, in its API's paging.
      return {
        ...asIs,
        upstreamPath: listingPath(upstreamPath, this.input.platform, account.platform),
      };
    }
    const mode = this.mode(account);
    const codex = isCodexAccount(account);
    // Parsed only when needed: a native request passed on as it is never is.
    const client = () => renamed ?? this.#body();
    if (mode !== "translated") {
      const native = api === "messages"
        ? this.#ownThinking(account, client)
        : this.#movedFrom(account)
        ? this.#portableNative(api, client())
        : undefined;
      if (codex && api === "responses") return this.#codex(api, native ?? client());
      return native === undefined ? asIs : { ...asIs, body: jsonBytes(native) };
    }
    const target = nativeApis(account).apis[0];
    return translatedBody(
      api,
      target,
      client(),
      codex,
      (dropped) => this.#logDropped(account, dropped),
    );
  }

  /** A Responses request for the ChatGPT backend; its stream aggregated for a JSON client. */
  #codex(client: Api, body: unknown): Prepared {
    return codexBody(client, body, (dropped) => this.#logDropped(undefined, dropped));
  }

  /**
   * The conversation is bound to another account (its session moved: failover
   * or rebinding), so the signed and encrypted parts of its history are that
   * account's, not this one's.
   */
  #movedFrom(account: Account): boolean {
    const bound = this.boundAccount;
    return bound !== undefined && bound !== account.id;
  }

  /** The marks of the signed thinking in a Messages request (none for any other). */
  thinkingMarks(): string[] {
    if (this.api !== "messages" || !this.#mayHoldThinking()) return [];
    return thinkingMarks(this.#body());
  }

  /**
   * A Messages body with only the signed thinking `account` made; `undefined`
   * when nothing changes. A block of unknown signer stays only on the account
   * the conversation most likely came from (`keepsUnknownThinking`).
   */
  #ownThinking(account: Account, client: () => unknown): unknown {
    if (!this.#mayHoldThinking()) return undefined;
    const signerOf = (mark: string) => this.signers.get(mark);
    const keepsUnknown = keepsUnknownThinking(account.id, this.boundAccount, this.plannedFirst);
    const own = keepOwnThinking(client(), account.id, signerOf, !keepsUnknown);
    if (own.dropped.length === 0) return undefined;
    this.#logDropped(account, own.dropped);
    return own.body;
  }

  /** Whether the body may hold signed thinking at all: most never need parsing for it. */
  #mayHoldThinking(): boolean {
    if (this.#signed === undefined) {
      const { json, text } = this.input;
      // Escapes aside, a mark's field name is in the text; an escaped one is read in the parse.
      this.#signed = json !== undefined &&
        (text.includes('"signature"') || text.includes('"redacted_thinking"') ||
          text.includes("\\u"));
    }
    return this.#signed;
  }

  /** A native body without another account's state; `undefined` when nothing changes. */
  #portableNative(api: Api, body: unknown): unknown {
    const portable = dropAccountState(api, body);
    // A stored-conversation reference stays: the account that stores it was planned for it.
    if (!portable.ok || portable.dropped.length === 0) return undefined;
    this.#logDropped(undefined, portable.dropped);
    return portable.body;
  }

  /** The model name `account` is sent, when the request names one. */
  #upstreamModel(account: Account): string | undefined {
    const { model } = this.input;
    return model === undefined ? undefined : upstreamModel(account.models, model) ?? model;
  }

  /** The body with the model the account knows it by, when that is not the client's name. */
  #renamed(account: Account): JsonObject | undefined {
    const name = this.#upstreamModel(account);
    if (name === undefined) return undefined;
    const body = this.#body();
    if (!isObject(body) || body.model === name) return undefined;
    return { ...body, model: name };
  }

  #logDropped(account: Account | undefined, dropped: readonly Dropped[]): void {
    if (dropped.length === 0) return;
    debug("fields left out in translation", {
      ...(account ? { account: account.id } : {}),
      dropped: dropped.map((entry) => entry.field).join(","),
    });
  }

  #body(): unknown {
    return this.input.json;
  }

  #isClaudeCode(): boolean {
    this.#claudeCode ??= isClaudeCodeRequest(this.input.headers, this.#body());
    return this.#claudeCode;
  }
}

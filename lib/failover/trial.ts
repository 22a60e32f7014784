/**
 * An account test ("trial"): one small request through one account only,
 * for the operator (`POST /admin/accounts/{id}/test`) and for scheduled
 * health checks. It goes through the failover loop with that account alone
 * and `maxSwitches` 0, so it is sent like any request (credential, OAuth
 * refresh on a 401, the headers timeout, a stream's preamble held) and never
 * fails over. Its health port only collects the effects: a test leaves the
 * account's state alone, and the caller decides what a pass means and which
 * effects a scheduled check applies ({@linkcode lastingEffects}). It goes
 * around the relay, so no client key is billed.
 *
 * The request honours the account's kind: a Codex account gets the Codex
 * backend's request (`codexRequest`: stream, `store: false`, instructions);
 * a Claude subscription gets Claude Code's identity (user agent, `x-app`,
 * system prompt), which Anthropic requires of subscription tokens — the
 * operator is testing their own account, not passing a client off as Claude Code.
 *
 * @module
 */

import type { AccountEffect } from "../accounts/model.ts";
import type { Account } from "../config/types.ts";
import { CLAUDE_CODE_IDENTITY } from "../protocols/claude/client.ts";
import { codexRequest } from "../protocols/codex/request.ts";
import type { JsonObject } from "../protocols/json.ts";
import { isCodexAccount } from "../providers/provider.ts";
import { forwardWithFailover } from "./loop.ts";
import type { FailoverPorts } from "./ports.ts";

/** What the operator may ask of a test. */
export interface TrialOptions {
  /** The upstream model name; the account's first listed model or its kind's default otherwise. */
  model?: string;
  prompt?: string;
}

/** A test's answer, as `POST /admin/accounts/{id}/test` returns it. */
export interface TrialResult {
  ok: boolean;
  /** The upstream's status; absent when no answer came (unreachable, no credential). */
  status?: number;
  /** From sending to the end of the answer. */
  ms: number;
  model: string;
  /** Why it failed (absent when ok). */
  error?: string;
}

/** What a test found, with the effect the answer would have had on the account. */
export interface TrialOutcome {
  result: TrialResult;
  effects: AccountEffect[];
}

/**
 * The effects of a scheduled check that change the account as a request
 * would: the ones that say it cannot serve whatever comes next (a revoked key
 * or a 401, a refused OAuth refresh, an error rule's disable). A cooldown (a
 * 429, a 5xx, an unreachable upstream or proxy, a 403 strike) is left out: a
 * check is one request, and requests in flight judge those better. A pass is
 * told apart (recovery), so `healthy` is left out too.
 */
export function lastingEffects(
  effects: readonly AccountEffect[],
): Extract<AccountEffect, { kind: "disable" }>[] {
  return effects.filter((effect) => effect.kind === "disable");
}

/** The prompt when none is given. */
export const DEFAULT_TRIAL_PROMPT = "Reply with the single word: ok";

/** Each kind's default test model, when the account lists none. */
const DEFAULT_MODELS = {
  openai: "gpt-4o-mini",
  codex: "gpt-5",
  anthropic: "claude-haiku-4-5",
  claude: "claude-haiku-4-5",
} as const;

/** The kind of account a test is shaped for. */
export type TrialKind = keyof typeof DEFAULT_MODELS;

/** The account's kind, for the shape of its test. */
export function trialKind(account: Account): TrialKind {
  if (isCodexAccount(account)) return "codex";
  if (account.platform === "anthropic") return account.oauth ? "claude" : "anthropic";
  return "openai";
}

/** The model a test uses: asked for, else the account's first concrete listed name, else a default. */
export function trialModel(account: Account, asked?: string): string {
  if (asked) return asked;
  const models = account.models;
  const listed = models === undefined
    ? []
    : Array.isArray(models)
    ? models
    : Object.values(models as Record<string, string>);
  return listed.find((name) => !name.includes("*")) ?? DEFAULT_MODELS[trialKind(account)];
}

/** The request a test sends: path, JSON body and headers, by the account's kind. */
export function trialRequest(
  account: Account,
  model: string,
  prompt: string,
): { upstreamPath: string; body: JsonObject; headers: Record<string, string> } {
  const json = { "content-type": "application/json" };
  const messages = [{ role: "user", content: prompt }];
  switch (trialKind(account)) {
    case "codex": {
      const codex = codexRequest({ model, input: prompt, stream: true });
      if (!codex.ok) throw codex.error; // cannot happen: the request is ours
      return { upstreamPath: "/responses", body: codex.body, headers: json };
    }
    case "claude":
      return {
        upstreamPath: "/messages",
        body: {
          model,
          max_tokens: 16,
          system: [{ type: "text", text: `${CLAUDE_CODE_IDENTITY}.` }],
          messages,
        },
        headers: { ...json, "user-agent": "claude-cli/2.0.0 (external, cli)", "x-app": "cli" },
      };
    case "anthropic":
      return {
        upstreamPath: "/messages",
        body: { model, max_tokens: 16, messages },
        headers: json,
      };
    case "openai":
      return {
        upstreamPath: "/chat/completions",
        body: { model, messages, max_completion_tokens: 16 },
        headers: json,
      };
  }
}

/** Sends one test request through `account` alone; always resolves. */
export async function runTrial(
  ports: FailoverPorts,
  account: Account,
  options: TrialOptions = {},
  timeoutMs = 60_000,
): Promise<TrialOutcome> {
  const model = trialModel(account, options.model);
  const shaped = trialRequest(account, model, options.prompt || DEFAULT_TRIAL_PROMPT);
  const effects: AccountEffect[] = [];
  const collect = (_id: string, effect: AccountEffect) => {
    effects.push(effect);
    return Promise.resolve();
  };
  const trialPorts: FailoverPorts = {
    ...ports,
    policy: { ...ports.policy, maxSwitches: 0 },
    health: { apply: collect, settleProbe: (id, _claim, effect) => collect(id, effect) },
    used: () => {},
  };
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const body = new TextEncoder().encode(JSON.stringify(shaped.body));
  try {
    const forwarded = await forwardWithFailover(trialPorts, {
      request: new Request("http://trial.invalid/", {
        method: "POST",
        headers: shaped.headers,
        signal: abort.signal,
      }),
      upstreamPath: shaped.upstreamPath,
      search: "",
      surface: account.platform,
      body,
      model: () => model,
      accounts: [account],
    });
    const response = forwarded.response;
    const text = await response.text().catch((error) => {
      throw new TrialFailure(abort.signal.aborted ? "timed out" : `answer broke off: ${error}`);
    });
    const status = forwarded.served ? response.status : undefined;
    const stream = response.headers.get("content-type")?.includes("event-stream") ?? false;
    const ok = status !== undefined && status < 400 && !(stream && streamFailed(text));
    const result: TrialResult = {
      ok,
      ...(status !== undefined ? { status } : {}),
      ms: ms(),
      model,
    };
    if (!ok) result.error = errorText(text, abort.signal.aborted);
    return { result, effects };
  } catch (error) {
    const detail = error instanceof TrialFailure ? error.message : "test failed";
    return { result: { ok: false, ms: ms(), model, error: detail }, effects };
  } finally {
    clearTimeout(timer);
  }
}

class TrialFailure extends Error {}

/** An event stream that ended in an error event (after its first content). */
function streamFailed(text: string): boolean {
  return /^event: *(error|response\.failed)\s*$/m.test(text) ||
    /"type" *: *"(error|response\.failed)"/.test(text);
}

/** The error message of an error body (OpenAI or Anthropic shape), else its first 300 characters. */
export function errorText(text: string, timedOut = false): string {
  if (timedOut) return "timed out";
  try {
    const parsed = JSON.parse(text);
    const message = parsed?.error?.message ?? parsed?.detail ?? parsed?.message;
    if (typeof message === "string" && message !== "") return message.slice(0, 300);
  } catch {
    // not JSON: an event stream or plain text
  }
  return text.trim().slice(0, 300) || "no answer";
}

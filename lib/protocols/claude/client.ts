/**
 * Which requests a Claude subscription (OAuth) account can serve. Anthropic
 * authorizes subscription tokens for Claude Code only and answers anything
 * else with `400 invalid_request_error` "This credential is only authorized
 * for use with Claude Code and cannot be used for other API requests." A
 * translated request (a Chat or Responses client's) or another Messages
 * client's request sent there comes back with that 400, which the gateway
 * would pass to the client as if the request were bad. So the planner asks
 * {@linkcode subscriptionServes} first and sends such requests to API-key
 * accounts only.
 *
 * Switchyard does not make other clients' requests look like Claude Code to
 * get past that check (a forged system prompt, `user-agent`, `x-app` or
 * beta flags): the restriction is Anthropic's access policy for those
 * credentials, not a format difference to translate.
 *
 * A real Claude Code request is recognised by what Claude Code sends
 * (observed by Claude Code request validators in public relays such as
 * claude-relay-service, and in Claude Code's published system prompts):
 * `user-agent: claude-cli/<version> (…)`, `x-app: cli`, and a first system
 * block starting "You are Claude Code, Anthropic's official CLI for Claude"
 * (newer versions put an `x-anthropic-billing-header: …` block before it).
 * The user agent is required and one of the other two must agree; it is a
 * routing hint, not a security check: Anthropic decides.
 *
 * @module
 */

import { arr, isObject, objects, str } from "../json.ts";

/** The identity line Claude Code's system prompt starts with. */
export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude";

const USER_AGENT = /^claude-cli\/\d+\.\d+\.\d+/i;
const BILLING_BLOCK = /^x-anthropic-billing-header:/i;

/** What a request shows of Claude Code. */
export interface ClaudeCodeSignals {
  userAgent: boolean;
  xApp: boolean;
  systemPrompt: boolean;
}

/** Reads the Claude Code signals of a Messages request. */
export function claudeCodeSignals(headers: Headers, body: unknown): ClaudeCodeSignals {
  return {
    userAgent: USER_AGENT.test(headers.get("user-agent") ?? ""),
    xApp: (headers.get("x-app") ?? "").trim() !== "",
    systemPrompt: startsWithIdentity(body),
  };
}

/** Is this a request from Claude Code itself? */
export function isClaudeCodeRequest(headers: Headers, body: unknown): boolean {
  const signals = claudeCodeSignals(headers, body);
  return signals.userAgent && (signals.xApp || signals.systemPrompt);
}

/** Whether a Claude subscription account may serve a request, and why not. */
export type Eligibility = { ok: true } | { ok: false; reason: string };

/** Can a Claude subscription (OAuth) account serve this request? Translated requests never can. */
export function subscriptionServes(
  headers: Headers,
  body: unknown,
  translated: boolean,
): Eligibility {
  if (translated) {
    return {
      ok: false,
      reason:
        "a translated request cannot use a Claude subscription, which serves Claude Code only",
    };
  }
  if (isClaudeCodeRequest(headers, body)) return { ok: true };
  return {
    ok: false,
    reason:
      "a Claude subscription serves Claude Code only; this client needs an Anthropic API key account",
  };
}

function startsWithIdentity(body: unknown): boolean {
  const system = isObject(body) ? body.system : undefined;
  if (typeof system === "string") return system.startsWith(CLAUDE_CODE_IDENTITY);
  const texts = objects(isObject(body) ? arr(body, "system") : undefined).map((block) =>
    str(block, "text") ?? ""
  );
  const first = texts.find((text) => !BILLING_BLOCK.test(text));
  return first?.startsWith(CLAUDE_CODE_IDENTITY) ?? false;
}

/**
 * Management routes the dashboard's console needs beyond the collections of
 * `management.ts` (behind the same admin gate):
 * - `POST /admin/accounts/:id/disable` and `/enable`: an operator's switch;
 *   a disabled account gets no probes until it is enabled (or reset);
 * - `POST /admin/oauth/start`, `/finish`: signing a Codex or Claude
 *   subscription in with the providers' public clients
 *   (`lib/providers/oauth/flows.ts`);
 * - `POST /admin/oauth/import`: an uploaded Codex `auth.json` or Claude Code
 *   `.credentials.json`.
 *
 * @module
 */

import type { Directory } from "../../accounts/directory.ts";
import type { AccountStateStore } from "../../accounts/health.ts";
import { ConfigError } from "../../config/errors.ts";
import { Fields } from "../../config/fields.ts";
import { PLATFORMS } from "../../config/types.ts";
import type { LiveHub } from "../../observe/live_hub.ts";
import { enrol, ENROL_FIELDS, enrolmentEntry } from "../../providers/oauth/enrol.ts";
import type { SignInFlows } from "../../providers/oauth/flows.ts";
import {
  ImportError,
  parseClaudeCredentials,
  parseCodexAuth,
} from "../../providers/oauth/import.ts";
import type { TokenSet } from "../../providers/oauth/refresh_client.ts";
import type { TokenStore } from "../../providers/oauth/token_store.ts";
import type { Route } from "../table.ts";
import { adminError, jsonBody, managed, methodNotAllowed } from "./answers.ts";

/** What the console routes work on. */
export interface ConsoleContext {
  directory: Directory;
  states: AccountStateStore;
  live: LiveHub;
  /** Sign-ins and sealed token storage; absent when there is no secret to seal with. */
  signIn?: { flows: SignInFlows; tokens: TokenStore };
  /** One `GET /admin/accounts` row. */
  accountRow(id: string): Promise<Record<string, unknown> | undefined>;
}

/** The reason an operator's disable shows. */
export const OPERATOR_DISABLED = "disabled by an operator";

const OVERRIDES = ["authorizeUrl", "tokenUrl", "clientId", "redirectUri", "scope"] as const;

/** The console routes, for the admin route table. */
export function consoleRoutes(context: ConsoleContext): Route[] {
  const post = (handle: (body: unknown) => Promise<Response>) =>
    managed(async (request) => {
      if (request.method !== "POST") {
        return methodNotAllowed("POST");
      }
      if (!context.signIn) {
        return adminError(
          503,
          "SWITCHYARD_SECRET is not set, so signed-in accounts cannot be stored",
        );
      }
      return await handle(await jsonBody(request));
    });
  const action = (which: "disable" | "enable") =>
    managed((request, id) =>
      request.method === "POST"
        ? switchAccount(id!, which, context)
        : Promise.resolve(methodNotAllowed("POST"))
    );
  return [
    { path: "/admin/accounts/:id/disable", handle: action("disable") },
    { path: "/admin/accounts/:id/enable", handle: action("enable") },
    { path: "/admin/oauth/start", handle: post((body) => start(body, context)) },
    { path: "/admin/oauth/finish", handle: post((body) => finish(body, context)) },
    { path: "/admin/oauth/import", handle: post((body) => importFile(body, context)) },
  ];
}

async function switchAccount(
  id: string,
  action: "disable" | "enable",
  context: ConsoleContext,
): Promise<Response> {
  if (!context.directory.account(id)) return adminError(404, `unknown account "${id}"`);
  if (action === "disable") {
    await context.states.apply(id, {
      kind: "disable",
      reason: OPERATOR_DISABLED,
      temporary: false,
    });
  } else {
    await context.states.reset(id);
  }
  context.live.poke();
  return Response.json(await context.accountRow(id));
}

/** `{platform, id, priority?, concurrency?, baseUrl?, passthrough?, authorizeUrl?, ...}`. */
async function start(body: unknown, context: ConsoleContext): Promise<Response> {
  const fields = Fields.of(body, "");
  fields.onlyKnown(["platform", ...ENROL_FIELDS, ...OVERRIDES]);
  const platform = fields.oneOf("platform", PLATFORMS);
  const overrides: Record<string, string> = {};
  for (const name of OVERRIDES) {
    const value = fields.optionalString(name);
    if (value === undefined) continue;
    if (name.endsWith("Url") || name === "redirectUri") checkUrl(name, value);
    overrides[name] = value;
  }
  const settings = pick(fields.raw, ENROL_FIELDS);
  // 400 or 409 now, not after the user has signed in.
  enrolmentEntry(context.directory, platform, settings, {
    tokenUrl: overrides.tokenUrl,
    clientId: overrides.clientId,
  });
  return Response.json(await context.signIn!.flows.start(platform, overrides, settings));
}

/** `{flow, input}`: what the provider handed the user (an address, `code#state` or a code). */
async function finish(body: unknown, context: ConsoleContext): Promise<Response> {
  const fields = Fields.of(body, "");
  fields.onlyKnown(["flow", "input"]);
  const flow = fields.string("flow");
  const input = fields.has("input") ? String(fields.raw.input) : "";
  const finished = await context.signIn!.flows.finish(flow, input);
  if (!finished.ok) {
    return adminError(
      finished.status,
      finished.message,
      finished.status === 400 ? "input" : undefined,
    );
  }
  const { profile, tokens } = finished;
  const entry = enrolmentEntry(context.directory, profile.platform, finished.account, {
    tokenUrl: profile.tokenUrl,
    clientId: profile.clientId,
    accountId: tokens.accountId,
  });
  return await enrolled(entry, tokens, context);
}

/** `{platform, file, id?, ...}`: the text of a Codex `auth.json` or a Claude `.credentials.json`. */
async function importFile(body: unknown, context: ConsoleContext): Promise<Response> {
  const fields = Fields.of(body, "");
  fields.onlyKnown(["platform", "file", ...ENROL_FIELDS]);
  const platform = fields.oneOf("platform", PLATFORMS);
  const text = fields.string("file");
  let imported;
  try {
    imported = platform === "openai"
      ? parseCodexAuth(text, "the file")
      : parseClaudeCredentials(text, "the file");
  } catch (error) {
    if (error instanceof ImportError) throw new ConfigError("file", error.message);
    throw error;
  }
  const settings = pick(fields.raw, ENROL_FIELDS);
  settings.id ??= imported.suggestedId;
  const entry = enrolmentEntry(context.directory, platform, settings, {
    accountId: imported.tokens.accountId,
  });
  return await enrolled(entry, imported.tokens, context);
}

async function enrolled(
  entry: Record<string, unknown>,
  tokens: TokenSet,
  context: ConsoleContext,
): Promise<Response> {
  const { id, created } = await enrol(
    { tokens: context.signIn!.tokens, states: context.states, directory: context.directory },
    entry,
    tokens,
  );
  context.live.poke();
  return Response.json({ ...await context.accountRow(id), created }, {
    status: created ? 201 : 200,
  });
}

function pick(raw: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (raw[name] !== undefined && raw[name] !== null) out[name] = raw[name];
  }
  return out;
}

function checkUrl(name: string, value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch { /* reported below */ }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(name, "must be an absolute http(s) URL");
  }
}

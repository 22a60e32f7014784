/**
 * `POST /admin/accounts/{id}/test`: one small request through that account
 * only (`lib/failover/account_checks.ts`). The body is optional:
 * `{"model": "...", "prompt": "...", "recover": true}`. The answer is
 * `{"ok", "status", "ms", "model", "error"}` (`status` absent when no
 * answer came, `error` only on a failure, `recovered: true` when a pass
 * put the account back in service).
 *
 * @module
 */

import { ConfigError } from "../../config/errors.ts";
import { Fields } from "../../config/fields.ts";
import type { AccountChecks, CheckOptions } from "../../failover/account_checks.ts";
import type { AccountsContext } from "./accounts.ts";
import { decodeId, MALFORMED_ID } from "./accounts.ts";
import { adminError, methodNotAllowed } from "./answers.ts";

/** The longest prompt a test sends. */
const MAX_PROMPT = 4000;

/** Handles `POST /admin/accounts/{id}/test`. */
export async function testAccount(
  request: Request,
  rawId: string,
  context: AccountsContext & { checks: AccountChecks },
): Promise<Response> {
  if (request.method !== "POST") return methodNotAllowed("POST");
  const id = decodeId(rawId);
  if (id === null) return adminError(400, MALFORMED_ID);
  const account = context.accounts().find((candidate) => candidate.id === id);
  if (!account) return adminError(404, `unknown account "${id}"`);
  let options: CheckOptions;
  try {
    options = checkOptions(await request.text());
  } catch (error) {
    if (error instanceof ConfigError) return adminError(400, error.message, error.field || "body");
    throw error;
  }
  return Response.json(await context.checks.test(account, options));
}

/** Reads the optional body; throws {@linkcode ConfigError} naming the bad field. */
export function checkOptions(text: string): CheckOptions {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("body", "must be a JSON object");
  }
  const fields = Fields.of(parsed, "");
  fields.onlyKnown(["model", "prompt", "recover"]);
  const options: CheckOptions = {};
  const model = fields.optionalString("model");
  const prompt = fields.optionalString("prompt");
  if (model !== undefined) options.model = model;
  if (prompt !== undefined) {
    if (prompt.length > MAX_PROMPT) {
      throw new ConfigError("prompt", `must be at most ${MAX_PROMPT} characters`);
    }
    options.prompt = prompt;
  }
  if (fields.has("recover")) options.recover = fields.boolean("recover", false);
  return options;
}

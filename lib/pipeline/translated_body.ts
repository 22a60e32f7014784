/**
 * The bodies `RequestShape` (`translation.ts`) prepares for an account that
 * does not take the client's request as it is: a request translated into
 * another platform's API (account-bound state dropped first, so a
 * stored-conversation reference refuses), and a Responses request made
 * acceptable to the ChatGPT backend for a Codex account, aggregated back
 * into one JSON body for a non-streaming client. Each says what it left out
 * through `logDropped`; a request that cannot be put in the account's API
 * gets a 400 in the client API's error shape.
 *
 * @module
 */

import type { Prepared, Translation } from "../failover/result.ts";
import { API_PATHS } from "../protocols/api_route.ts";
import { codexRequest } from "../protocols/codex/request.ts";
import { dropAccountState } from "../protocols/translate/account_state.ts";
import { translationErrorBody } from "../protocols/translate/errors.ts";
import type { Api, Dropped } from "../protocols/translate/ir.ts";
import { TranslationError } from "../protocols/translate/ir.ts";
import { translateRequest } from "../protocols/translate/translate.ts";

const encoder = new TextEncoder();

/** Hears the fields a preparation left out. */
export type DroppedLog = (dropped: readonly Dropped[]) => void;

/**
 * `body` (the client's, in `api`) translated into `target`, another
 * platform's API; `codex` then makes it a ChatGPT backend request.
 */
export function translatedBody(
  api: Api,
  target: Api,
  body: unknown,
  codex: boolean,
  logDropped: DroppedLog,
): Prepared {
  // Another platform's account: the signed and encrypted parts of the history are not its own.
  const portable = dropAccountState(api, body);
  if (!portable.ok) {
    return refused(api, new TranslationError(portable.field, portable.message));
  }
  const translated = translateRequest(api, target, portable.body);
  logDropped([...portable.dropped, ...translated.dropped]);
  if (!translated.ok) return refused(api, translated.error);
  if (codex) return codexBody(api, translated.body, logDropped, translated.includeUsage);
  const translation: Translation = {
    from: target,
    to: api,
    stream: translated.stream,
    includeUsage: translated.includeUsage,
    aggregate: false,
  };
  return {
    ok: true,
    body: jsonBytes(translated.body),
    upstreamPath: API_PATHS[target],
    translation,
  };
}

/** A Responses request for the ChatGPT backend; its stream aggregated for a JSON client. */
export function codexBody(
  client: Api,
  body: unknown,
  logDropped: DroppedLog,
  includeUsage = false,
): Prepared {
  const codex = codexRequest(body);
  if (!codex.ok) return refused(client, codex.error);
  logDropped(codex.dropped);
  const same = client === "responses" && codex.stream;
  const translation: Translation = {
    from: "responses",
    to: client,
    stream: codex.stream,
    includeUsage,
    aggregate: !codex.stream,
  };
  return {
    ok: true,
    body: jsonBytes(codex.body),
    upstreamPath: API_PATHS.responses,
    ...(same ? {} : { translation }),
  };
}

/** A request the account's API cannot carry: 400 in the client API's error shape. */
function refused(api: Api, error: TranslationError): Prepared {
  return { ok: false, status: 400, body: translationErrorBody(api, error) };
}

/** A JSON value as the bytes of a request body. */
export function jsonBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(value));
}

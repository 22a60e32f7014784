/**
 * Model routing in the pipeline (rules in `lib/config/models.ts`): the
 * requested model (from the parsed body, or a form), the key's and the group's allow-lists (403 when the model is not allowed), the
 * group's aliases, and 404 `model_not_found` in the client's shape, with no
 * upstream call, when no account of the group that serves the API serves
 * the model. A model listing served by the other platform's account (an
 * all-Anthropic group asked by an OpenAI client, or the reverse) is put in
 * the client's shape ({@linkcode listingForClient}).
 *
 * @module
 */

import type { GroupInfo, KeyInfo } from "../accounts/directory.ts";
import { listedModels, modelAllowed, resolveAlias } from "../config/models.ts";
import type { Account, ApiFamily } from "../config/types.ts";
import type { FailoverResult } from "../failover/result.ts";
import { convertListing, isModelListing } from "../protocols/model_list.ts";
import { parseJson } from "../protocols/json.ts";
import { translateErrorBody } from "../protocols/translate/errors.ts";
import { HttpError } from "../http/errors.ts";
import { type BodyFields, formModel } from "../protocols/body_fields.ts";
import { type Refusal, refusal } from "./refusal.ts";
import type { RequestShape } from "./translation.ts";

/**
 * The model a request asks for: the parsed body's `model`, or for a form
 * (uploads: audio, image edits) its `model` field, read only here, when a
 * model rule needs it. A form that cannot be read, or names the model
 * twice, gets 400.
 */
export async function askedModel(
  fields: BodyFields,
  form: { body: Uint8Array<ArrayBuffer> | null; contentType: string | null } | undefined,
): Promise<{ ok: true; model?: string } | Refusal> {
  if (!form?.body) return { ok: true, model: fields.model };
  let read;
  try {
    const headers = { "content-type": form.contentType ?? "" };
    read = formModel(await new Response(form.body, { headers }).formData());
  } catch {
    read = { ok: false as const, message: "the request body is not a readable form" };
  }
  if (read.ok) return read;
  return refusal(new HttpError(400, read.message, { param: "model" }), "rejected");
}

/** The model the accounts see (after aliases), or why the key may not ask for it. */
export function routeModel(
  key: KeyInfo,
  group: GroupInfo | undefined,
  name: string | undefined,
): { ok: true; model?: string } | Refusal {
  if (name === undefined) return { ok: true };
  if (!modelAllowed(group?.allowModels, name) || !modelAllowed(key.allowModels, name)) {
    const message = `this key may not use model "${name}"`;
    return refusal(new HttpError(403, message, { code: "model_not_allowed" }), "refused");
  }
  return { ok: true, model: resolveAlias(group?.models, name) };
}

/** 404 when accounts serve the API but none serves the model. */
export function unservedModel(
  shape: RequestShape,
  candidates: readonly Account[],
  name: string | undefined,
): Refusal | undefined {
  if (name === undefined || candidates.some((account) => shape.mode(account) !== null)) {
    return undefined;
  }
  if (!candidates.some((account) => shape.apiMode(account) !== null)) return undefined;
  const message = `model "${name}" is not served by any account in this key's group`;
  return refusal(new HttpError(404, message, { code: "model_not_found" }), "model_unavailable");
}

/**
 * `GET /v1/models` answered from the group's configuration, when it names
 * models (group aliases, or accounts' `models`): the client-facing names
 * its key may use, in Anthropic's list shape when the client sends
 * `anthropic-version`, else OpenAI's. `undefined`: forward as usual.
 */
export function configuredModels(
  request: Request,
  key: KeyInfo,
  group: GroupInfo | undefined,
  groupAccounts: () => readonly Account[],
): Response | undefined {
  if (request.method !== "GET" || new URL(request.url).pathname !== "/v1/models") return undefined;
  const accounts = groupAccounts(); // only for a listing: most requests never need them
  if (group?.models === undefined && !accounts.some((account) => account.models !== undefined)) {
    return undefined;
  }
  const names = new Set([
    ...Object.keys(group?.models ?? {}).filter((name) => !name.includes("*")),
    ...accounts.flatMap((account) => listedModels(account.models)),
  ]);
  const ids = [...names].filter((name) =>
    modelAllowed(group?.allowModels, name) && modelAllowed(key.allowModels, name)
  ).sort();
  if (request.headers.has("anthropic-version")) {
    return Response.json({
      data: ids.map((id) => ({
        type: "model",
        id,
        display_name: id,
        created_at: "1970-01-01T00:00:00Z",
      })),
      has_more: false,
      first_id: ids[0] ?? null,
      last_id: ids.at(-1) ?? null,
    });
  }
  return Response.json({
    object: "list",
    data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "switchyard" })),
  });
}

/**
 * A model listing the other platform's account served, in the client's
 * shape (its error too, status kept); any other result as it is.
 */
export async function listingForClient(
  request: { method: string; upstreamPath: string; client: ApiFamily },
  result: FailoverResult,
): Promise<FailoverResult> {
  const { response, served } = result;
  if (
    !served || served.platform === request.client ||
    !isModelListing(request.method, request.upstreamPath)
  ) {
    return result;
  }
  const text = await response.text();
  const { status } = response;
  const converted = status < 400 ? convertListing(parseJson(text), request.client) : parseJson(
    translateErrorBody(request.client === "openai" ? "chat" : "messages", status, text),
  );
  const whole = new TextEncoder().encode(converted ? JSON.stringify(converted) : text);
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  if (converted) headers.set("content-type", "application/json");
  return { ...result, response: new Response(whole, { status, headers }), whole };
}

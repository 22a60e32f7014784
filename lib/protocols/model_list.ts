/**
 * Model listings, which both APIs have at the same path: `GET /v1/models`
 * and `GET /v1/models/{id}`. OpenAI's list is
 * `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`;
 * Anthropic's (asked with `anthropic-version`) is
 * `{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}`,
 * paged (20 models unless `limit` says more, up to 1000). When a group's
 * accounts are of the other platform, their listing is put in the client's
 * shape here.
 *
 * @module
 */

import type { ApiFamily } from "../config/types.ts";
import { arr, isObject, type JsonObject, num, objects, str } from "./json.ts";

const LIST_PATH = "/models";

/** Is this a model listing (the path after `/v1`)? */
export function isModelListing(method: string, upstreamPath: string): boolean {
  return method === "GET" &&
    (upstreamPath === LIST_PATH || upstreamPath.startsWith(`${LIST_PATH}/`));
}

/**
 * The path to ask an account of `upstream`'s platform for a listing a client
 * of `client`'s made: all of Anthropic's list in one page for an OpenAI
 * client, whose API has no pages; else the client's path as it is.
 */
export function listingPath(upstreamPath: string, client: ApiFamily, upstream: ApiFamily): string {
  return upstreamPath === LIST_PATH && client === "openai" && upstream === "anthropic"
    ? `${LIST_PATH}?limit=1000`
    : upstreamPath;
}

/** A listing (or one model) in `to`'s shape; `undefined` when `body` is not one. */
export function convertListing(body: unknown, to: ApiFamily): JsonObject | undefined {
  if (!isObject(body)) return undefined;
  const data = arr(body, "data");
  const convert = to === "openai" ? openaiModel : anthropicModel;
  if (!data) return str(body, "id") === undefined ? undefined : convert(body);
  const models = objects(data).filter((model) => str(model, "id") !== undefined).map(convert);
  if (to === "openai") return { object: "list", data: models };
  return {
    data: models,
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models.at(-1)?.id ?? null,
  };
}

/** One Anthropic model in OpenAI's shape. */
function openaiModel(model: JsonObject): JsonObject {
  const created = Date.parse(str(model, "created_at") ?? "");
  return {
    id: str(model, "id") as string,
    object: "model",
    created: Number.isFinite(created) ? Math.floor(created / 1000) : 0,
    owned_by: "anthropic",
  };
}

/** One OpenAI model in Anthropic's shape. */
function anthropicModel(model: JsonObject): JsonObject {
  const id = str(model, "id") as string;
  const created = new Date((num(model, "created") ?? 0) * 1000).toISOString();
  return { type: "model", id, display_name: id, created_at: created.replace(".000Z", "Z") };
}

/**
 * State that belongs to one account, removed before a request goes to
 * another account (failover, a rebound key, another platform):
 * - Anthropic `thinking` blocks carry a `signature` and `redacted_thinking`
 *   blocks encrypted `data` that only the issuing account verifies; another
 *   account answers 400. Both go. The readable thinking cannot stay behind:
 *   Anthropic refuses a thinking block without a valid signature, and
 *   turning it into text would put hidden reasoning into the visible
 *   conversation. When the last assistant turn lost its thinking while
 *   `thinking` is on, the `thinking` setting goes too (Anthropic requires a
 *   tool-using final assistant turn to start with a thinking block).
 * - Responses `reasoning` items are resolved by id or by
 *   `encrypted_content`, both tied to the issuing account: they go (an input
 *   reasoning item needs one or the other, so its summary cannot stay);
 *   other items lose their `id`, which the other account cannot resolve.
 * - `previous_response_id`, `conversation` and `item_reference` items point
 *   at a stored conversation another account does not have; without it the
 *   model would answer out of context, so such a request is not movable:
 *   the result says so instead of silently dropping it.
 * Chat Completions requests carry no account state.
 *
 * @module
 */

import { arr, isObject, type Json, type JsonObject, obj, str } from "../json.ts";
import { type Api, type Dropped, Drops } from "./ir.ts";

/** The request for another account, or the field that ties it to its account. */
export type PortableRequest =
  | { ok: true; body: unknown; dropped: Dropped[] }
  | { ok: false; field: string; message: string };

/** Removes account-bound state from a request body (parsed JSON) of `api`. */
export function dropAccountState(api: Api, body: unknown): PortableRequest {
  if (!isObject(body) || api === "chat") return { ok: true, body, dropped: [] };
  const drops = new Drops();
  if (api === "messages") {
    return { ok: true, body: portableMessages(body, drops), dropped: drops.list };
  }
  for (const field of ["previous_response_id", "conversation"]) {
    if (body[field] !== undefined && body[field] !== null) {
      return {
        ok: false,
        field,
        message: `\`${field}\` refers to a conversation stored by one account`,
      };
    }
  }
  const input = arr(body, "input");
  if (!input) return { ok: true, body, dropped: [] };
  const kept: Json[] = [];
  for (const [i, item] of input.entries()) {
    if (!isObject(item)) {
      kept.push(item);
      continue;
    }
    const type = str(item, "type");
    if (type === "item_reference") {
      return {
        ok: false,
        field: `input[${i}]`,
        message: "an item_reference refers to an item stored by one account",
      };
    }
    if (type === "reasoning") {
      drops.add(`input[${i}]`, "reasoning items are readable only by the account that made them");
      continue;
    }
    if (item.id === undefined) kept.push(item);
    else {
      const { id: _id, ...rest } = item;
      drops.add("input[].id", "item ids resolve only on the account that made them");
      kept.push(rest);
    }
  }
  return { ok: true, body: { ...body, input: kept }, dropped: drops.list };
}

function portableMessages(body: JsonObject, drops: Drops): JsonObject {
  const messages = arr(body, "messages");
  if (!messages) return body;
  let lastAssistantLost = false;
  const kept: Json[] = [];
  messages.forEach((message, i) => {
    const content = isObject(message) ? arr(message, "content") : undefined;
    if (!isObject(message) || !content) return void kept.push(message);
    const blocks = content.filter((block, j) => {
      const type = isObject(block) ? str(block, "type") : undefined;
      const signed = type === "thinking" || type === "redacted_thinking";
      if (signed) {
        drops.add(
          `messages[${i}].content[${j}]`,
          "signed thinking verifies only on the account that made it",
        );
      }
      return !signed;
    });
    if (str(message, "role") === "assistant") lastAssistantLost = blocks.length !== content.length;
    if (blocks.length > 0) kept.push({ ...message, content: blocks });
  });
  const out: JsonObject = { ...body, messages: kept };
  if (
    lastAssistantLost && str(obj(body, "thinking"), "type") !== undefined &&
    str(obj(body, "thinking"), "type") !== "disabled"
  ) {
    delete out.thinking;
    drops.add(
      "thinking",
      "the last assistant turn lost its signed thinking, which thinking mode requires",
    );
  }
  return out;
}

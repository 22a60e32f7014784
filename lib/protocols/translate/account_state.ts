/**
 * State that belongs to one account, removed before a request goes to
 * another account (failover, a rebound key, another platform):
 * - Anthropic `thinking` blocks carry a `signature` and `redacted_thinking`
 *   blocks encrypted `data` that only the issuing account verifies; another
 *   account answers 400. Both go ({@linkcode dropAccountState}: every one,
 *   for another platform; {@linkcode keepOwnThinking}: those another account
 *   of the same API signed). The readable thinking cannot stay behind:
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
import { signedMark, signedMarksOf } from "../messages/events.ts";
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
    return { ok: true, body: portableMessages(body, drops, () => true), dropped: drops.list };
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

function isThinking(block: Json): boolean {
  const type = isObject(block) ? str(block, "type") : undefined;
  return type === "thinking" || type === "redacted_thinking";
}

/**
 * Whether `accountId` keeps the signed thinking of unknown signer: only the
 * account the conversation most likely came from does, the session's bound
 * account or else the account planned first. An attempt after a failover is
 * sent none of it (a block it did not sign would only get a 400).
 */
export function keepsUnknownThinking(
  accountId: string,
  bound: string | undefined,
  plannedFirst: string | undefined,
): boolean {
  return accountId === (bound ?? plannedFirst);
}

/** Who signed a block, by its mark (`signedMark`), as far as the gateway knows. */
export type SignerOf = (mark: string) => string | undefined;

/** The marks of every signed block in a Messages request body, in order. */
export function thinkingMarks(body: unknown): string[] {
  const messages = isObject(body) ? arr(body, "messages") : undefined;
  if (!messages) return [];
  return messages.flatMap((message) => isObject(message) ? signedMarksOf(message.content) : []);
}

/**
 * A Messages request body for `accountId`, an account of the API that signed
 * its thinking: the blocks it signed stay intact, those another account
 * signed go. A block whose signer is unknown (made before the gateway kept
 * track, or elsewhere) goes only when `unknownIsForeign`. `dropped` is empty
 * when the body is `body` itself.
 */
export function keepOwnThinking(
  body: unknown,
  accountId: string,
  signerOf: SignerOf,
  unknownIsForeign: boolean,
): { body: unknown; dropped: Dropped[] } {
  if (!isObject(body)) return { body, dropped: [] };
  const drops = new Drops();
  const foreign = (mark: string | undefined) => {
    const signer = mark === undefined ? undefined : signerOf(mark);
    return signer === undefined ? unknownIsForeign : signer !== accountId;
  };
  const out = portableMessages(body, drops, foreign);
  return drops.list.length === 0 ? { body, dropped: [] } : { body: out, dropped: drops.list };
}

function portableMessages(
  body: JsonObject,
  drops: Drops,
  foreign: (mark: string | undefined) => boolean,
): JsonObject {
  const messages = arr(body, "messages");
  if (!messages) return body;
  let lastAssistantLost = false;
  const kept: Json[] = [];
  messages.forEach((message, i) => {
    const content = isObject(message) ? arr(message, "content") : undefined;
    if (!isObject(message) || !content) return void kept.push(message);
    const blocks = content.filter((block, j) => {
      const goes = isThinking(block) && foreign(signedMark(block));
      if (goes) {
        drops.add(
          `messages[${i}].content[${j}]`,
          "signed thinking verifies only on the account that made it",
        );
      }
      return !goes;
    });
    if (str(message, "role") === "assistant") {
      // Lost its thinking: some went, and none is left to start the turn.
      lastAssistantLost = blocks.length !== content.length && !blocks.some(isThinking);
    }
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

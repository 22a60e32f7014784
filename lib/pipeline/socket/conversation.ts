/**
 * A WebSocket connection's conversation state, pure. Codex sends each turn
 * as the items added since its previous response plus that response's id
 * (`previous_response_id`), and counts on the server to remember the rest.
 * An upstream reached over HTTP may remember nothing (a ChatGPT account
 * takes only `store: false`; after a failover another account has none of
 * it), so the gateway keeps, per connection, the whole input each response
 * stood for and the output items it gave, and sends every turn that
 * continues from one of them with the full input and no
 * `previous_response_id`. Account-bound items in it (encrypted reasoning)
 * are dropped on an account switch by the pipeline, as over HTTP.
 *
 * A `previous_response_id` the connection does not know (a response made
 * over HTTP, or on an earlier connection) is sent as given.
 *
 * @module
 */

import { isObject, type Json, type JsonObject, parseJson } from "../../protocols/json.ts";

/** How many responses a connection remembers; a turn continues from one of the last few. */
export const REMEMBERED_RESPONSES = 8;

/** Remembered responses of one connection. */
export class Conversation {
  /** Response id → the whole input it answered, then its output items. */
  readonly #chains = new Map<string, Json[]>();

  /** The request body to send for a turn, and the whole input it stands for. */
  expand(body: JsonObject): { body: JsonObject; input: Json[] } {
    const own = inputItems(body.input);
    const previous = typeof body.previous_response_id === "string"
      ? this.#chains.get(body.previous_response_id)
      : undefined;
    if (!previous) return { body, input: own };
    const input = [...previous, ...own];
    const { previous_response_id: _known, ...rest } = body;
    return { body: { ...rest, input }, input };
  }

  /**
   * Remembers response `id`: the whole input it answered and its output
   * items, without their ids (`msg_…`, `rs_…`): sent back with `store:
   * false`, OpenAI refuses an id it has not persisted ("Item with id … not
   * found"), and Codex itself sends none. Everything else stays
   * (`encrypted_content`, `call_id`).
   */
  remember(id: string, input: readonly Json[], output: readonly Json[]): void {
    this.#chains.delete(id);
    this.#chains.set(id, [...input, ...output.map(withoutId)]);
    while (this.#chains.size > REMEMBERED_RESPONSES) {
      const oldest = this.#chains.keys().next().value;
      if (oldest === undefined) break;
      this.#chains.delete(oldest);
    }
  }

  /** Does the connection remember response `id`? */
  knows(id: string): boolean {
    return this.#chains.has(id);
  }
}

/** An output item without its `id`. */
function withoutId(item: Json): Json {
  if (!isObject(item) || item.id === undefined) return item;
  const { id: _id, ...rest } = item;
  return rest;
}

/** A Responses `input` as a list of items (a string is one user message). */
export function inputItems(input: Json | undefined): Json[] {
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  return Array.isArray(input) ? input : [];
}

/** Events that end a turn (Codex reads each as the turn's last). */
const TURN_ENDS = new Set([
  "response.completed",
  "response.failed",
  "response.incomplete",
  "error",
]);

/**
 * The output of one streamed response, gathered from its events: the items
 * of `response.output_item.done` by output index, else the `output` of the
 * final response (some upstreams send one, some the other).
 */
export class TurnOutput {
  readonly #items = new Map<number, Json>();
  #final: Json[] | undefined;
  /** The response's id, once an event named it. */
  id: string | undefined;
  /** The response completed (not failed, incomplete or cut). */
  completed = false;
  /** A last event arrived: completed, failed, incomplete, or an `error` event. */
  ended = false;

  /** Reads one event's JSON data. */
  push(data: string): void {
    // Only the few event types that matter are parsed.
    if (!data.includes('"response.') && !data.includes('"error"')) return;
    const event = parseJson(data);
    if (!isObject(event)) return;
    if (typeof event.type === "string" && TURN_ENDS.has(event.type)) this.ended = true;
    const response = isObject(event.response) ? event.response : undefined;
    if (response && typeof response.id === "string") this.id ??= response.id;
    if (event.type === "response.output_item.done" && isObject(event.item)) {
      const index = typeof event.output_index === "number" ? event.output_index : this.#items.size;
      this.#items.set(index, event.item);
    } else if (event.type === "response.completed") {
      this.completed = true;
      if (response && Array.isArray(response.output)) this.#final = response.output;
    }
  }

  /** The output items, in order. */
  items(): Json[] {
    if (this.#items.size > 0) {
      return [...this.#items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
    }
    return this.#final ?? [];
  }
}

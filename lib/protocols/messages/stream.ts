/**
 * Anthropic Messages streams, both ways. Reading: `message_start` starts the
 * message, block indexes tell tool calls apart, `message_delta` carries the
 * stop reason and usage, `message_stop` ends it; signature deltas are not
 * read (they belong to the account). Writing: `message_start` at once, one
 * content block per run of text, thinking or one tool call (a block closes
 * when something else begins), and `message_delta` + `message_stop` at the
 * end, where usage is complete: Chat and Responses upstreams only report it
 * there. Thinking blocks written for another platform's reasoning carry an
 * empty signature.
 *
 * @module
 */

import { isObject, num, obj, parseJson, str } from "../json.ts";
import { jsonEvent, type SseEvent } from "../sse.ts";
import { encodeError, fromErrorObject } from "../translate/errors.ts";
import type { IrEvent } from "../translate/ir.ts";
import { type StreamDecoder, type StreamEncoder, StreamFacts } from "../translate/stream.ts";
import { safeToolId } from "./encode_request.ts";
import {
  stopFromMessages,
  stopToMessages,
  usageFromMessages,
  usageToMessages,
} from "./response.ts";

/** Reads a Messages stream. */
export class MessagesStreamDecoder implements StreamDecoder {
  #tools = new Map<number, string>();
  #ended = false;

  decode(event: SseEvent): IrEvent[] {
    const data = parseJson(event.data);
    if (this.#ended || !isObject(data)) return [];
    const index = num(data, "index") ?? 0;
    switch (str(data, "type") ?? event.event) {
      case "message_start": {
        const message = obj(data, "message");
        const usage = usageFromMessages(obj(message, "usage"));
        return [{
          type: "start",
          id: str(message, "id") ?? "",
          model: str(message, "model") ?? "",
          usage,
        }];
      }
      case "content_block_start": {
        const block = obj(data, "content_block");
        const type = str(block, "type");
        const text = str(block, type === "thinking" ? "thinking" : "text");
        if (type === "tool_use") {
          const id = str(block, "id") ?? `toolu_${index}`;
          this.#tools.set(index, id);
          return [{ type: "tool_start", id, name: str(block, "name") ?? "" }];
        }
        if (!text) return [];
        return [type === "thinking" ? { type: "reasoning", text } : { type: "text", text }];
      }
      case "content_block_delta": {
        const delta = obj(data, "delta");
        const type = str(delta, "type");
        if (type === "text_delta") return [{ type: "text", text: str(delta, "text") ?? "" }];
        if (type === "thinking_delta") {
          return [{ type: "reasoning", text: str(delta, "thinking") ?? "" }];
        }
        const id = this.#tools.get(index);
        if (type === "input_json_delta" && id) {
          return [{ type: "tool_args", id, text: str(delta, "partial_json") ?? "" }];
        }
        return [];
      }
      case "content_block_stop": {
        const id = this.#tools.get(index);
        return id ? [{ type: "tool_end", id }] : [];
      }
      case "message_delta": {
        const out: IrEvent[] = [{ type: "usage", usage: usageFromMessages(obj(data, "usage")) }];
        const reason = str(obj(data, "delta"), "stop_reason");
        const sequence = str(obj(data, "delta"), "stop_sequence");
        if (reason) {
          out.push(
            sequence
              ? { type: "stop", reason: stopFromMessages(reason), sequence }
              : { type: "stop", reason: stopFromMessages(reason) },
          );
        }
        return out;
      }
      case "message_stop":
        this.#ended = true;
        return [{ type: "end" }];
      case "error":
        this.#ended = true;
        return [{ type: "error", error: fromErrorObject(500, obj(data, "error") ?? {}) }];
      default:
        return [];
    }
  }

  finish(): IrEvent[] {
    return [];
  }
}

type Block = { kind: "text" | "thinking" | "tool"; index: number; id?: string };

/** Writes a Messages stream. */
export class MessagesStreamEncoder implements StreamEncoder {
  #open: Block | undefined;
  #next = 0;
  #tools = new Map<string, number>();
  #facts = new StreamFacts("", 0);
  #started = false;

  encode(event: IrEvent): SseEvent[] {
    this.#facts.note(event);
    switch (event.type) {
      case "start":
        return this.#start();
      case "text":
        return [...this.#ensure("text"), this.#delta({ type: "text_delta", text: event.text })];
      case "reasoning":
        return [
          ...this.#ensure("thinking"),
          this.#delta({ type: "thinking_delta", thinking: event.text }),
        ];
      case "tool_start": {
        const out = [...this.#start(), ...this.#close()];
        const index = this.#next++;
        this.#open = { kind: "tool", index, id: event.id };
        this.#tools.set(event.id, index);
        const block = { type: "tool_use", id: safeToolId(event.id), name: event.name, input: {} };
        return [
          ...out,
          jsonEvent(
            { type: "content_block_start", index, content_block: block },
            "content_block_start",
          ),
        ];
      }
      case "tool_args": {
        const index = this.#tools.get(event.id) ?? this.#open?.index ?? 0;
        const delta = { type: "input_json_delta", partial_json: event.text };
        return [jsonEvent({ type: "content_block_delta", index, delta }, "content_block_delta")];
      }
      case "tool_end":
        return this.#open?.id === event.id ? this.#close() : [];
      case "usage":
      case "stop":
        return [];
      case "end": {
        const { stop, sequence, usage } = this.#facts;
        const delta = { stop_reason: stopToMessages(stop), stop_sequence: sequence ?? null };
        return [
          ...this.#start(),
          ...this.#close(),
          jsonEvent(
            { type: "message_delta", delta, usage: usageToMessages(usage) },
            "message_delta",
          ),
          jsonEvent({ type: "message_stop" }, "message_stop"),
        ];
      }
      case "error":
        return [jsonEvent(encodeError("messages", event.error), "error")];
    }
  }

  #start(): SseEvent[] {
    if (this.#started) return [];
    this.#started = true;
    const { id, model, usage } = this.#facts;
    const message = {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageToMessages(usage),
    };
    return [jsonEvent({ type: "message_start", message }, "message_start")];
  }

  #ensure(kind: "text" | "thinking"): SseEvent[] {
    if (this.#open?.kind === kind) return [];
    const out = [...this.#start(), ...this.#close()];
    const index = this.#next++;
    this.#open = { kind, index };
    const block = kind === "text"
      ? { type: "text", text: "" }
      : { type: "thinking", thinking: "", signature: "" };
    return [
      ...out,
      jsonEvent(
        { type: "content_block_start", index, content_block: block },
        "content_block_start",
      ),
    ];
  }

  #delta(delta: Record<string, string>): SseEvent {
    return jsonEvent(
      { type: "content_block_delta", index: this.#open?.index ?? 0, delta },
      "content_block_delta",
    );
  }

  #close(): SseEvent[] {
    const open = this.#open;
    if (!open) return [];
    this.#open = undefined;
    return [jsonEvent({ type: "content_block_stop", index: open.index }, "content_block_stop")];
  }
}

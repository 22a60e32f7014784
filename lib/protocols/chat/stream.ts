/**
 * Chat Completions streams, both ways. Reading: the first chunk starts the
 * message; tool calls are told apart by `index` (a new index closes the
 * calls before it, and `finish_reason` closes them all); the usage chunk
 * and `[DONE]` end it; `reasoning_content` (sent by Chat-compatible
 * upstreams, never by OpenAI) is read as reasoning. Writing: one chunk per
 * event, the finish chunk when the stop arrives, the usage chunk only when
 * the client asked for it (`stream_options.include_usage`), then `[DONE]`.
 * Chat has no reasoning channel, so reasoning deltas are not written.
 *
 * @module
 */

import { arr, isObject, type JsonObject, num, obj, objects, parseJson, str } from "../json.ts";
import { jsonEvent, SSE_DONE, type SseEvent } from "../sse.ts";
import { encodeError, fromErrorObject } from "../translate/errors.ts";
import type { IrEvent } from "../translate/ir.ts";
import {
  type EncoderOptions,
  type StreamDecoder,
  type StreamEncoder,
  StreamFacts,
} from "../translate/stream.ts";
import { stopFromChat, stopToChat, usageFromChat, usageToChat } from "./response.ts";
import type { ChatChunk, ChatFinishReason } from "./types.ts";

/** Reads a Chat Completions stream. */
export class ChatStreamDecoder implements StreamDecoder {
  #started = false;
  #stopped = false;
  #ended = false;
  #calls = new Map<number, { id: string; open: boolean }>();

  decode(event: SseEvent): IrEvent[] {
    if (this.#ended) return [];
    if (event.data.trim() === SSE_DONE) return this.#end();
    const chunk = parseJson(event.data);
    if (!isObject(chunk)) return [];
    const error = obj(chunk, "error");
    if (error) {
      this.#ended = true;
      return [{ type: "error", error: fromErrorObject(500, error) }];
    }
    const out: IrEvent[] = [];
    if (!this.#started) {
      this.#started = true;
      out.push({
        type: "start",
        id: str(chunk, "id") ?? "",
        model: str(chunk, "model") ?? "",
        created: num(chunk, "created"),
      });
    }
    const choice = objects(arr(chunk, "choices"))[0];
    if (choice) this.#choice(choice, out);
    const usage = obj(chunk, "usage");
    if (usage) out.push({ type: "usage", usage: usageFromChat(usage) });
    return out;
  }

  finish(): IrEvent[] {
    return this.#stopped && !this.#ended ? this.#end() : [];
  }

  #choice(choice: JsonObject, out: IrEvent[]): void {
    const delta = obj(choice, "delta");
    const reasoning = str(delta, "reasoning_content") ?? str(delta, "reasoning");
    if (reasoning) out.push({ type: "reasoning", text: reasoning });
    const content = str(delta, "content");
    if (content) out.push({ type: "text", text: content });
    for (const call of objects(arr(delta, "tool_calls"))) {
      const index = num(call, "index") ?? 0;
      const fn = obj(call, "function");
      let known = this.#calls.get(index);
      if (!known) {
        this.#closeCalls(out);
        known = { id: str(call, "id") ?? `call_${index}`, open: true };
        this.#calls.set(index, known);
        out.push({ type: "tool_start", id: known.id, name: str(fn, "name") ?? "" });
      }
      const args = str(fn, "arguments");
      if (args) out.push({ type: "tool_args", id: known.id, text: args });
    }
    const finish = str(choice, "finish_reason");
    if (finish) {
      this.#closeCalls(out);
      this.#stopped = true;
      out.push({ type: "stop", reason: stopFromChat(finish) });
    }
  }

  #closeCalls(out: IrEvent[]): void {
    for (const call of this.#calls.values()) {
      if (!call.open) continue;
      call.open = false;
      out.push({ type: "tool_end", id: call.id });
    }
  }

  #end(): IrEvent[] {
    this.#ended = true;
    const out: IrEvent[] = [];
    this.#closeCalls(out);
    if (!this.#stopped) out.push({ type: "stop", reason: "end_turn" });
    this.#stopped = true;
    out.push({ type: "end" });
    return out;
  }
}

/** Writes a Chat Completions stream. */
export class ChatStreamEncoder implements StreamEncoder {
  #facts: StreamFacts;
  #tools = new Map<string, number>();
  #finished = false;

  constructor(private readonly options: EncoderOptions) {
    this.#facts = new StreamFacts("chatcmpl", options.now);
  }

  encode(event: IrEvent): SseEvent[] {
    this.#facts.note(event);
    switch (event.type) {
      case "start":
        return [this.#chunk({ role: "assistant", content: "" })];
      case "text":
        return [this.#chunk({ content: event.text })];
      case "tool_start": {
        const index = this.#tools.size;
        this.#tools.set(event.id, index);
        const call = {
          index,
          id: event.id,
          type: "function" as const,
          function: { name: event.name, arguments: "" },
        };
        return [this.#chunk({ tool_calls: [call] })];
      }
      case "tool_args": {
        const index = this.#tools.get(event.id) ?? 0;
        return [this.#chunk({ tool_calls: [{ index, function: { arguments: event.text } }] })];
      }
      case "stop":
        return this.#finish(stopToChat(event.reason));
      case "end": {
        const out = this.#finish("stop");
        if (this.options.includeUsage) {
          out.push(jsonEvent(this.#base([], usageToChat(this.#facts.usage))));
        }
        out.push({ data: SSE_DONE });
        return out;
      }
      case "error":
        return [jsonEvent(encodeError("chat", event.error))];
      default:
        return [];
    }
  }

  #finish(reason: ChatFinishReason): SseEvent[] {
    if (this.#finished) return [];
    this.#finished = true;
    return [this.#chunk({}, reason)];
  }

  #chunk(
    delta: ChatChunk["choices"][number]["delta"],
    finish: ChatFinishReason | null = null,
  ): SseEvent {
    return jsonEvent(this.#base([{ index: 0, delta, finish_reason: finish }]));
  }

  #base(choices: ChatChunk["choices"], usage?: ChatChunk["usage"]): ChatChunk {
    const { id, created, model } = this.#facts;
    const chunk: ChatChunk = { id, object: "chat.completion.chunk", created, model, choices };
    if (this.options.includeUsage) chunk.usage = usage ?? null;
    return chunk;
  }
}

/**
 * Writing a Responses stream: `response.created` and `response.in_progress`
 * at the start; one output item per run of text (a message with one
 * `output_text` part), per run of reasoning (a reasoning item with one
 * summary part) and per function call, each opened with its `.added` events
 * and closed with its `.done` events when something else begins; then
 * `response.completed` (or `response.incomplete` for a cut answer) with the
 * whole output and usage. Every event carries a growing `sequence_number`.
 * An error becomes an `error` event followed by `response.failed`.
 *
 * @module
 */

import { jsonEvent, type SseEvent } from "../sse.ts";
import { openAiError } from "../translate/errors.ts";
import type { IrEvent } from "../translate/ir.ts";
import { syntheticId } from "../translate/parts.ts";
import { type EncoderOptions, type StreamEncoder, StreamFacts } from "../translate/stream.ts";
import { statusOf, usageToResponses } from "./response.ts";
import type { ResponsesOutputItem, ResponsesResponse } from "./types.ts";

interface Open {
  kind: "message" | "reasoning" | "tool";
  index: number;
  id: string;
  text: string;
  callId?: string;
  name?: string;
}

/** Writes a Responses stream. */
export class ResponsesStreamEncoder implements StreamEncoder {
  #seq = 0;
  #facts: StreamFacts;
  #started = false;
  #open: Open | undefined;
  #items: ResponsesOutputItem[] = [];
  #tools = new Map<string, Open>();

  constructor(options: EncoderOptions) {
    this.#facts = new StreamFacts("resp", options.now);
  }

  encode(event: IrEvent): SseEvent[] {
    this.#facts.note(event);
    switch (event.type) {
      case "start":
        return this.#start();
      case "text":
        return this.#append("message", event.text);
      case "reasoning":
        return this.#append("reasoning", event.text);
      case "tool_start": {
        const out = [...this.#start(), ...this.#close()];
        const index = this.#items.length;
        const open: Open = {
          kind: "tool",
          index,
          id: syntheticId("fc", event.id, index),
          text: "",
          callId: event.id,
          name: event.name,
        };
        this.#open = open;
        this.#tools.set(event.id, open);
        return [
          ...out,
          this.#event("response.output_item.added", {
            output_index: index,
            item: this.#item(open, "in_progress"),
          }),
        ];
      }
      case "tool_args": {
        const open = this.#tools.get(event.id);
        if (!open) return [];
        open.text += event.text;
        return [
          this.#event("response.function_call_arguments.delta", {
            item_id: open.id,
            output_index: open.index,
            delta: event.text,
          }),
        ];
      }
      case "tool_end":
        return this.#open?.callId === event.id ? this.#close() : [];
      case "usage":
      case "stop":
        return [];
      case "end": {
        const out = [...this.#start(), ...this.#close()];
        const response = this.#response(statusOf(this.#facts.stop));
        const name = response.status === "incomplete"
          ? "response.incomplete"
          : "response.completed";
        return [...out, this.#event(name, { response })];
      }
      case "error": {
        const body = openAiError(event.error).error;
        const failed = this.#response({ status: "failed", incomplete_details: null });
        failed.error = { code: body.code ?? body.type, message: body.message };
        return [
          this.#event("error", {
            code: body.code ?? body.type,
            message: body.message,
            param: body.param,
          }),
          this.#event("response.failed", { response: failed }),
        ];
      }
    }
  }

  #start(): SseEvent[] {
    if (this.#started) return [];
    this.#started = true;
    const response = this.#response({ status: "in_progress", incomplete_details: null });
    response.usage = null;
    return [
      this.#event("response.created", { response }),
      this.#event("response.in_progress", { response }),
    ];
  }

  #append(kind: "message" | "reasoning", delta: string): SseEvent[] {
    const out = this.#open?.kind === kind
      ? []
      : [...this.#start(), ...this.#close(), ...this.#openItem(kind)];
    const open = this.#open as Open;
    open.text += delta;
    const at = { item_id: open.id, output_index: open.index };
    return kind === "message"
      ? [
        ...out,
        this.#event("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] }),
      ]
      : [
        ...out,
        this.#event("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta }),
      ];
  }

  #openItem(kind: "message" | "reasoning"): SseEvent[] {
    const index = this.#items.length;
    const open: Open = {
      kind,
      index,
      id: syntheticId(kind === "message" ? "msg" : "rs", this.#facts.id, index),
      text: "",
    };
    this.#open = open;
    const at = { item_id: open.id, output_index: index };
    const added = this.#event("response.output_item.added", {
      output_index: index,
      item: this.#item(open, "in_progress"),
    });
    return kind === "message"
      ? [
        added,
        this.#event("response.content_part.added", {
          ...at,
          content_index: 0,
          part: this.#text(""),
        }),
      ]
      : [
        added,
        this.#event("response.reasoning_summary_part.added", {
          ...at,
          summary_index: 0,
          part: this.#summary(""),
        }),
      ];
  }

  #close(): SseEvent[] {
    const open = this.#open;
    if (!open) return [];
    this.#open = undefined;
    const item = this.#item(open, "completed");
    this.#items.push(item);
    const at = { item_id: open.id, output_index: open.index };
    const out: SseEvent[] = [];
    if (open.kind === "tool") {
      out.push(
        this.#event("response.function_call_arguments.done", { ...at, arguments: open.text }),
      );
    } else if (open.kind === "reasoning") {
      const summary = { ...at, summary_index: 0 };
      out.push(
        this.#event("response.reasoning_summary_text.done", { ...summary, text: open.text }),
      );
      out.push(
        this.#event("response.reasoning_summary_part.done", {
          ...summary,
          part: this.#summary(open.text),
        }),
      );
    } else {
      const part = { ...at, content_index: 0 };
      out.push(
        this.#event("response.output_text.done", { ...part, text: open.text, logprobs: [] }),
      );
      out.push(this.#event("response.content_part.done", { ...part, part: this.#text(open.text) }));
    }
    out.push(this.#event("response.output_item.done", { output_index: open.index, item }));
    return out;
  }

  #item(open: Open, status: "in_progress" | "completed"): ResponsesOutputItem {
    if (open.kind === "tool") {
      const args = status === "completed" ? open.text : "";
      return {
        type: "function_call",
        id: open.id,
        status,
        call_id: open.callId ?? "",
        name: open.name ?? "",
        arguments: args,
      };
    }
    if (open.kind === "reasoning") {
      return {
        type: "reasoning",
        id: open.id,
        summary: status === "completed" ? [this.#summary(open.text)] : [],
      };
    }
    const content = status === "completed" ? [this.#text(open.text)] : [];
    return { type: "message", id: open.id, status, role: "assistant", content };
  }

  #text(text: string) {
    return { type: "output_text" as const, text, annotations: [] as never[] };
  }

  #summary(text: string) {
    return { type: "summary_text" as const, text };
  }

  #response(status: Pick<ResponsesResponse, "status" | "incomplete_details">): ResponsesResponse {
    const { id, created, model, usage } = this.#facts;
    return {
      id,
      object: "response",
      created_at: created,
      ...status,
      model,
      output: [...this.#items],
      usage: usageToResponses(usage),
      error: null,
    };
  }

  #event(type: string, fields: Record<string, unknown>): SseEvent {
    return jsonEvent({ type, sequence_number: this.#seq++, ...fields }, type);
  }
}

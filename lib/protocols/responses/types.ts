/**
 * OpenAI Responses (`POST /v1/responses`) wire shapes, as far as the
 * translators write them. Field names follow the API reference and the
 * `openai` SDK's `ResponseCreateParams`, `Response`, `ResponseStreamEvent`
 * and `ResponseUsage` types.
 *
 * Stream grammar: named events whose data repeats the name in `type` and
 * carries a growing `sequence_number`: `response.created`,
 * `response.in_progress`, then per output item `response.output_item.added`
 * … `response.output_item.done` (a message's text through
 * `response.content_part.added`, `response.output_text.delta`/`.done`,
 * `response.content_part.done`; a function call's arguments through
 * `response.function_call_arguments.delta`/`.done`; a reasoning summary
 * through `response.reasoning_summary_part.added`,
 * `response.reasoning_summary_text.delta`/`.done`,
 * `response.reasoning_summary_part.done`), and one terminal event:
 * `response.completed`, `response.incomplete` or `response.failed`. An
 * error is an `error` event (`code`, `message`, `param`). No `[DONE]`.
 *
 * @module
 */

import type { IrFormat } from "../translate/ir.ts";

/** A content part of an input message. */
export type ResponsesInputContent =
  | { type: "input_text"; text: string }
  | { type: "input_image"; image_url?: string; file_id?: string; detail: string }
  | {
    type: "input_file";
    file_data?: string;
    file_id?: string;
    file_url?: string;
    filename?: string;
  };

/** An item of `input`. */
export type ResponsesInputItem =
  | { type: "message"; role: "user" | "system" | "developer"; content: ResponsesInputContent[] }
  | { type: "message"; role: "assistant"; content: string }
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  | {
    type: "function_call_output";
    call_id: string;
    output: string | ResponsesInputContent[];
  };

/** A function tool definition (flat, unlike Chat's). */
export interface ResponsesTool {
  type: "function";
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}

/** `tool_choice`. */
export type ResponsesToolChoice = "auto" | "none" | "required" | { type: "function"; name: string };

/** `text.format`: the canonical output format is this very shape. */
export type ResponsesTextFormat = IrFormat;

/** The request body. */
export interface ResponsesRequest {
  model: string;
  instructions?: string;
  input: ResponsesInputItem[];
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  text?: { format: ResponsesTextFormat };
  reasoning?: { effort?: string; summary?: string };
  user?: string;
  metadata?: Record<string, string>;
  store: boolean;
  stream?: boolean;
}

/** An output text part. */
export interface ResponsesOutputText {
  type: "output_text";
  text: string;
  annotations: never[];
}

/** An item of `output`. */
export type ResponsesOutputItem =
  | {
    type: "message";
    id: string;
    status: "in_progress" | "completed";
    role: "assistant";
    content: ResponsesOutputText[];
  }
  | {
    type: "function_call";
    id: string;
    status: "in_progress" | "completed";
    call_id: string;
    name: string;
    arguments: string;
  }
  | { type: "reasoning"; id: string; summary: { type: "summary_text"; text: string }[] };

/** Token usage. */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** A response object (whole, or inside lifecycle events). */
export interface ResponsesResponse {
  id: string;
  object: "response";
  created_at: number;
  status: "in_progress" | "completed" | "incomplete" | "failed";
  model: string;
  output: ResponsesOutputItem[];
  usage: ResponsesUsage | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  error: { code: string; message: string } | null;
}

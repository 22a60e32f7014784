/**
 * Anthropic Messages (`POST /v1/messages`) wire shapes, as far as the
 * translators write them. Field names follow the API reference and the
 * `@anthropic-ai/sdk` types `MessageCreateParams`, `Message`,
 * `RawMessageStreamEvent` and `Usage`.
 *
 * Stream grammar: named events whose data repeats the name in `type`:
 * `message_start` (the message with empty `content`), per content block
 * `content_block_start` (`index`, the block) … `content_block_delta`
 * (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`) …
 * `content_block_stop`, then `message_delta` (`stop_reason`,
 * `stop_sequence`, cumulative `usage`) and `message_stop`; `ping` may come
 * anywhere. An error is `event: error` with `{"type":"error","error":{...}}`.
 *
 * @module
 */

/** Where an image's or document's bytes are. */
export type MessagesSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "text"; media_type: "text/plain"; data: string };

/** A content block of a request message. */
export type MessagesBlockParam =
  | { type: "text"; text: string }
  | { type: "image"; source: MessagesSource }
  | { type: "document"; source: MessagesSource; title?: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | {
    type: "tool_result";
    tool_use_id: string;
    content: (MessagesBlockParam & { type: "text" | "image" })[];
    is_error?: boolean;
  }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

/** A request message. */
export interface MessagesMessageParam {
  role: "user" | "assistant";
  content: MessagesBlockParam[];
}

/** A client tool definition. */
export interface MessagesTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

/** `tool_choice`. */
export type MessagesToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/** The request body. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system?: { type: "text"; text: string }[];
  messages: MessagesMessageParam[];
  tools?: MessagesTool[];
  tool_choice?: MessagesToolChoice;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  thinking?: { type: "enabled"; budget_tokens: number };
  output_config?: { format: { type: "json_schema"; schema: Record<string, unknown> } };
  stream?: boolean;
}

/** `stop_reason`. */
export type MessagesStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** Token usage; `input_tokens` excludes cache reads and writes. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** A content block of a response. */
export type MessagesBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

/** A whole response. */
export interface MessagesMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: MessagesBlock[];
  stop_reason: MessagesStopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
}

/** The error body, and the data of an `error` event. */
export interface MessagesErrorBody {
  type: "error";
  error: { type: string; message: string };
}

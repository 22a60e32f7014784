/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`) wire shapes, as far
 * as the translators write them. Field names follow the API reference and
 * the `openai` SDK's `ChatCompletionCreateParams`, `ChatCompletion`,
 * `ChatCompletionChunk` and `CompletionUsage` types.
 *
 * Stream grammar: `data:` lines only (no event names), one
 * `chat.completion.chunk` each; the first carries `delta.role`, tool calls
 * stream by `index` (id and name once, then argument pieces), the last
 * choice chunk carries `finish_reason`; with `stream_options.include_usage`
 * one more chunk with `choices: []` and `usage`; then `data: [DONE]`. An
 * error mid-stream is `data: {"error":{...}}`.
 *
 * @module
 */

/** A content part of a user message. */
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: string } }
  | { type: "file"; file: { file_data?: string; file_id?: string; filename?: string } };

/** A function tool call in an assistant message. */
export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A message of the conversation. */
export type ChatMessage =
  | { role: "system" | "developer"; content: string }
  | { role: "user"; content: string | ChatContentPart[] }
  | { role: "assistant"; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** A function tool definition. */
export interface ChatTool {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters: Record<string, unknown>;
    strict?: boolean;
  };
}

/** `tool_choice`. */
export type ChatToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; function: { name: string } };

/** `response_format`. */
export type ChatResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
    type: "json_schema";
    json_schema: {
      name: string;
      schema: Record<string, unknown>;
      strict?: boolean;
      description?: string;
    };
  };

/** The request body. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  response_format?: ChatResponseFormat;
  reasoning_effort?: string;
  user?: string;
  metadata?: Record<string, string>;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
}

/** `finish_reason`. */
export type ChatFinishReason =
  | "stop"
  | "length"
  | "tool_calls"
  | "content_filter"
  | "function_call";

/** Token usage. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** A whole response. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      refusal: null;
      tool_calls?: ChatToolCall[];
    };
    finish_reason: ChatFinishReason;
    logprobs: null;
  }[];
  usage: ChatUsage;
}

/** A tool-call fragment in a chunk's delta. */
export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/** One stream chunk. */
export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: "assistant"; content?: string; tool_calls?: ChatToolCallDelta[] };
    finish_reason: ChatFinishReason | null;
  }[];
  usage?: ChatUsage | null;
}

/** The error body (shared with the Responses API). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

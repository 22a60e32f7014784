/**
 * The intermediate representation every translation goes through, so the six
 * directions between the three client APIs are three decoders and three
 * encoders. A request is a canonical conversation (system text, user and
 * assistant turns made of parts, function tools); a response is the
 * assistant's parts with a stop reason and usage; a stream is a sequence of
 * canonical events (text delta, tool-call start/arguments/end, reasoning
 * delta, usage, stop, end, error).
 *
 * What the IR deliberately does not carry: signed or encrypted reasoning
 * (Anthropic thinking signatures, Responses `encrypted_content`) and stored
 * state (`previous_response_id`). Both belong to one account of one platform,
 * so they never cross a translation; reasoning crosses as readable text only.
 *
 * @module
 */

/** The three client APIs. */
export type Api = "chat" | "responses" | "messages";

/** Where an attachment's bytes are. */
export type IrSource =
  | { kind: "base64"; mediaType: string; data: string }
  | { kind: "url"; url: string }
  | { kind: "file"; fileId: string }
  | { kind: "text"; text: string };

/** One piece of a turn. `path` names the field in the client's request, for errors and drops. */
export type IrPart =
  | { type: "text"; text: string }
  | { type: "image"; source: IrSource; detail?: string; path: string }
  | { type: "document"; source: IrSource; filename?: string; path: string }
  | { type: "audio"; path: string }
  | { type: "tool_call"; id: string; name: string; arguments: string }
  | { type: "tool_result"; callId: string; parts: IrPart[]; isError?: boolean; path: string }
  | { type: "reasoning"; text: string; path: string };

/** A user or assistant turn; consecutive turns of one role are merged. */
export interface IrTurn {
  role: "user" | "assistant";
  parts: IrPart[];
}

/** System or developer instructions, in order. */
export interface IrInstruction {
  role: "system" | "developer";
  text: string;
}

/** A function tool. */
export interface IrTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict?: boolean;
}

/** Which tool the model may or must call. */
export type IrToolChoice =
  | { type: "auto" }
  | { type: "none" }
  | { type: "required" }
  | { type: "tool"; name: string };

/** The output format the client asked for. */
export type IrFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
    type: "json_schema";
    name: string;
    schema: Record<string, unknown>;
    strict?: boolean;
    description?: string;
  };

/** How much the model should reason. */
export interface IrReasoning {
  /** `minimal`, `low`, `medium`, `high`, `xhigh`; absent when only a budget was given. */
  effort?: string;
  budgetTokens?: number;
  /** The client shows reasoning (Anthropic thinking, a Responses summary request). */
  summary?: boolean;
}

/** A request, in canonical form. */
export interface IrRequest {
  model: string;
  instructions: IrInstruction[];
  turns: IrTurn[];
  tools: IrTool[];
  toolChoice?: IrToolChoice;
  parallelToolCalls?: boolean;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  format?: IrFormat;
  user?: string;
  metadata?: Record<string, string>;
  reasoning?: IrReasoning;
  stream: boolean;
  /** A Chat client asked for the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** Why generation stopped. */
export type IrStop =
  | "end_turn"
  | "stop_sequence"
  | "max_tokens"
  | "tool_use"
  | "content_filter"
  | "refusal"
  | "pause_turn"
  | "context_window";

/** Token counts. `input` counts every prompt token, cached or written to the cache. */
export interface IrUsage {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  reasoning: number;
}

/** A whole (non-streamed) response. */
export interface IrResponse {
  id: string;
  model: string;
  created?: number;
  parts: IrPart[];
  stop: IrStop;
  stopSequence?: string;
  usage: IrUsage;
}

/** Error kinds both error vocabularies can express. */
export type IrErrorKind =
  | "invalid_request"
  | "authentication"
  | "permission"
  | "not_found"
  | "request_too_large"
  | "rate_limit"
  | "billing"
  | "api_error"
  | "overloaded"
  | "timeout";

/** An error, from an error body or an error event. */
export interface IrError {
  kind: IrErrorKind;
  message: string;
  code?: string;
  param?: string;
}

/** One canonical stream event. */
export type IrEvent =
  | { type: "start"; id: string; model: string; created?: number; usage?: Partial<IrUsage> }
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_start"; id: string; name: string }
  | { type: "tool_args"; id: string; text: string }
  | { type: "tool_end"; id: string }
  | { type: "usage"; usage: Partial<IrUsage> }
  | { type: "stop"; reason: IrStop; sequence?: string }
  | { type: "end" }
  | { type: "error"; error: IrError };

/** A field left out of a translation, for the caller's debug log. */
export interface Dropped {
  field: string;
  reason: string;
}

/** Collects drops while a translation runs. */
export class Drops {
  readonly list: Dropped[] = [];
  add(field: string, reason: string): void {
    if (!this.list.some((entry) => entry.field === field)) this.list.push({ field, reason });
  }
}

/** A request that cannot be served without a field the target cannot take: a 400 naming it. */
export class TranslationError extends Error {
  readonly status = 400;
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "TranslationError";
  }
}

/** A zeroed usage. */
export function emptyUsage(): IrUsage {
  return { input: 0, output: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0 };
}

/** `usage` with `update`'s known counts laid over it. */
export function mergeUsage(usage: IrUsage, update: Partial<IrUsage>): IrUsage {
  const out = { ...usage };
  for (const key of Object.keys(update) as (keyof IrUsage)[]) {
    const value = update[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A whole usage from the counts an answer reported; those it left out are 0. */
export function usageWithZeros(counts: Partial<IrUsage>): IrUsage {
  return mergeUsage(emptyUsage(), counts);
}

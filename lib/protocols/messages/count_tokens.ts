/**
 * An estimate of a Messages request's input tokens, for
 * `POST /v1/messages/count_tokens` when no account of the group can count
 * them (the group's accounts speak another API: Codex, OpenAI keys). Claude
 * Code calls `count_tokens` and must not see an error there; an exact count
 * needs the serving model's tokenizer, which the gateway does not have.
 *
 * The estimate: about four characters a token over the text the model reads
 * (system, messages, tool calls and results, tool definitions), a few tokens
 * per message for its framing, and a flat 1,600 tokens per image or document
 * (Anthropic counts an image at most around that size). Good to the size of
 * a context window, not to the token.
 *
 * @module
 */

import { arr, isObject, type Json, type JsonObject, objects, str } from "../json.ts";

const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PER_TOOL = 8;
const TOKENS_PER_ATTACHMENT = 1_600;
const BASE_TOKENS = 3;

/** The estimated input tokens of a Messages request body; `undefined` when it is not one. */
export function estimateInputTokens(body: unknown): number | undefined {
  if (!isObject(body)) return undefined;
  const messages = arr(body, "messages");
  if (!messages) return undefined;
  const tally = { chars: 0, tokens: BASE_TOKENS };
  addContent(tally, body.system);
  for (const message of objects(messages)) {
    tally.tokens += TOKENS_PER_MESSAGE;
    addContent(tally, message.content);
  }
  for (const tool of objects(arr(body, "tools"))) {
    tally.tokens += TOKENS_PER_TOOL;
    tally.chars += (str(tool, "name") ?? "").length + (str(tool, "description") ?? "").length;
    if (tool.input_schema !== undefined) tally.chars += JSON.stringify(tool.input_schema).length;
  }
  return tally.tokens + Math.ceil(tally.chars / CHARS_PER_TOKEN);
}

interface Tally {
  chars: number;
  tokens: number;
}

/** Adds a string, or an array of content blocks, to the tally. */
function addContent(tally: Tally, content: Json | undefined): void {
  if (typeof content === "string") tally.chars += content.length;
  else if (Array.isArray(content)) { for (const block of objects(content)) addBlock(tally, block); }
}

function addBlock(tally: Tally, block: JsonObject): void {
  switch (str(block, "type")) {
    case "text":
      tally.chars += (str(block, "text") ?? "").length;
      return;
    case "thinking":
      tally.chars += (str(block, "thinking") ?? "").length;
      return;
    case "redacted_thinking":
      return;
    case "image":
    case "document":
      tally.tokens += TOKENS_PER_ATTACHMENT;
      return;
    case "tool_use":
    case "server_tool_use":
      tally.chars += (str(block, "name") ?? "").length + JSON.stringify(block.input ?? {}).length;
      return;
    case "tool_result":
      addContent(tally, block.content);
      return;
    default:
      tally.chars += JSON.stringify(block).length;
  }
}

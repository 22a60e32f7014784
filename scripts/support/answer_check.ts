/**
 * Checking the benchmark's answers are what a Chat Completions client
 * expects, for the translated-request row (a Chat client on a Responses
 * account must still get a well-formed Chat answer, not merely a 200):
 * - {@linkcode chatStreamProblem}, every event read (the latency client,
 *   outside the timed exchange);
 * - {@linkcode chatStreamEnds}, a cheap look at the ends only (autocannon,
 *   which runs beside the servers under load).
 *
 * @module
 */

/** Which check an answer gets. */
export type AnswerCheck = "chat-stream" | "chat-json";

/** What is wrong with an answer body, or undefined when it is a well-formed answer. */
export function answerProblem(check: AnswerCheck, body: string): string | undefined {
  return check === "chat-stream" ? chatStreamProblem(body) : chatJsonProblem(body);
}

/** The cheap check of an answer under load. */
export function answerLooksRight(check: AnswerCheck, body: string): boolean {
  return check === "chat-stream"
    ? chatStreamEnds(body)
    : body.startsWith("{") && body.includes('"object":"chat.completion"');
}

/**
 * What is wrong with a Chat Completions stream: every event a `data:` line
 * holding a `chat.completion.chunk` with `choices`, one of them giving a
 * `finish_reason`, then `data: [DONE]` and nothing after it.
 */
export function chatStreamProblem(body: string): string | undefined {
  const events = body.replaceAll("\r\n", "\n").split("\n\n");
  if (events.at(-1) !== "") return "the stream does not end with a blank line";
  events.pop();
  if (events.at(-1) !== "data: [DONE]") return "the stream does not end with data: [DONE]";
  events.pop();
  if (events.length === 0) return "no chunk before data: [DONE]";
  let finished = false;
  for (const [index, event] of events.entries()) {
    if (!event.startsWith("data: ") || event.includes("\n")) {
      return `event ${index} is not one data line`;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(event.slice(6));
    } catch {
      return `event ${index} is not JSON`;
    }
    if (!isChunk(chunk)) return `event ${index} is not a chat.completion.chunk with choices`;
    finished ||= chunk.choices.some((choice) => typeof choice.finish_reason === "string");
  }
  return finished ? undefined : "no chunk gives a finish_reason";
}

/** Does a body end as a Chat stream does (its first event a chunk, its last `data: [DONE]`)? */
export function chatStreamEnds(body: string): boolean {
  return body.startsWith('data: {"') &&
    (body.endsWith("\ndata: [DONE]\n\n") || body.endsWith("\r\ndata: [DONE]\r\n\r\n"));
}

/** What is wrong with a Chat completion: a `chat.completion` whose first choice has text. */
export function chatJsonProblem(body: string): string | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  if (!isRecord(answer) || answer.object !== "chat.completion") return "not a chat.completion";
  const choice = Array.isArray(answer.choices) ? answer.choices[0] : undefined;
  if (!isRecord(choice) || !isRecord(choice.message)) return "no first choice with a message";
  if (typeof choice.message.content !== "string") return "the message has no text content";
  return typeof choice.finish_reason === "string" ? undefined : "no finish_reason";
}

interface Chunk {
  choices: Record<string, unknown>[];
}

function isChunk(value: unknown): value is Chunk {
  return isRecord(value) && value.object === "chat.completion.chunk" &&
    Array.isArray(value.choices) && value.choices.every(isRecord);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

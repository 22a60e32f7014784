/**
 * What a client body shows: which upstream response it came from (every
 * answer of the soak's upstream names itself, see `formats.ts`), whether its
 * content events arrived in order with none missing or repeated, and whether
 * it ended with its format's terminal event. Pure and table-tested.
 *
 * @module
 */

import type { Surface } from "./faults.ts";
import type { BodyVerdict } from "./records.ts";

/** One parsed server-sent event. */
export interface ParsedEvent {
  event?: string;
  data: string;
}

/** Parses an SSE text (LF, CRLF or CR line ends); a last event without its blank line is kept. */
export function parseSse(text: string): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  let name: string | undefined;
  let data: string[] = [];
  let fields = 0;
  const dispatch = () => {
    if (fields > 0) {
      events.push(
        name === undefined ? { data: data.join("\n") } : { event: name, data: data.join("\n") },
      );
    }
    name = undefined;
    data = [];
    fields = 0;
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      dispatch();
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
    else continue;
    fields++;
  }
  dispatch();
  return events;
}

/** A response name, whole: a body cut inside `chatcmpl-r123` must not name `r12`. */
const RESPONSE_NAME = /(?:chatcmpl-|resp_|msg_)(r\d+)(?=\D)/g;
const CONTENT_MARK = /\[(r\d+):(\d+)\]/g;

/** Judges a whole client body of a 200 answer. */
export function verifyBody(
  surface: Surface,
  stream: boolean,
  includeUsage: boolean,
  text: string,
): BodyVerdict {
  return stream ? verifyStream(surface, includeUsage, text) : verifyJson(text);
}

function verifyJson(text: string): BodyVerdict {
  const verdict = emptyVerdict();
  const names = namesIn(text);
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a body cut short: judged by whoever knows why
  }
  const marks = [...text.matchAll(CONTENT_MARK)];
  marks.forEach((mark) => names.add(mark[1]));
  checkSequence(verdict, marks.map((mark) => Number(mark[2])));
  verdict.contentEvents = marks.length;
  verdict.terminal = parsed !== undefined;
  verdict.usageSeen = parsed !== undefined && typeof parsed.usage === "object" &&
    parsed.usage !== null;
  nameVerdict(verdict, names);
  return verdict;
}

function verifyStream(surface: Surface, includeUsage: boolean, text: string): BodyVerdict {
  const verdict = emptyVerdict();
  const names = new Set<string>();
  const sequence: number[] = [];
  let ended = false;
  const events = parseSse(text);
  // An event without its blank line is where a cut stream stopped; it is not judged.
  if (!/(\r\n|\r|\n)(\r\n|\r|\n)$/.test(text)) events.pop();
  for (const event of events) {
    if (ended) {
      verdict.problems.push(`an event after the end: ${event.event ?? event.data.slice(0, 40)}`);
      break;
    }
    if (event.data === "[DONE]") {
      if (surface === "chat") ended = verdict.terminal = true;
      else verdict.problems.push("[DONE] in a non-chat stream");
      continue;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(event.data);
    } catch {
      verdict.problems.push(`unparsable event data: ${event.data.slice(0, 60)}`);
      continue;
    }
    for (const name of namesIn(event.data)) names.add(name);
    const type = event.event ?? (typeof json.type === "string" ? json.type : undefined);
    if (type === "error" || type === "response.failed" || (type === undefined && json.error)) {
      verdict.errorEvent = true;
      continue;
    }
    if (isContentEvent(surface, type, json)) {
      const marks = [...event.data.matchAll(CONTENT_MARK)];
      if (marks.length !== 1) verdict.problems.push(`a content event with ${marks.length} marks`);
      for (const mark of marks) {
        names.add(mark[1]);
        sequence.push(Number(mark[2]));
      }
    }
    if (
      surface === "chat" && Array.isArray(json.choices) && json.choices.length === 0 && json.usage
    ) {
      verdict.usageSeen = true;
    }
    if (
      (surface === "responses" && type === "response.completed") ||
      (surface === "messages" && type === "message_stop")
    ) {
      ended = verdict.terminal = true;
    }
    if (surface !== "chat" && (type === "response.completed" || type === "message_delta")) {
      verdict.usageSeen = true;
    }
  }
  checkSequence(verdict, sequence);
  verdict.contentEvents = sequence.length;
  if (surface === "chat" && verdict.usageSeen && !includeUsage) {
    verdict.problems.push("a usage chunk the client did not ask for");
  }
  if (surface === "chat" && verdict.terminal && includeUsage && !verdict.usageSeen) {
    verdict.problems.push("the usage chunk the client asked for is missing");
  }
  nameVerdict(verdict, names);
  return verdict;
}

function isContentEvent(
  surface: Surface,
  type: string | undefined,
  json: Record<string, unknown>,
): boolean {
  if (surface === "responses") return type === "response.output_text.delta";
  if (surface === "messages") return type === "content_block_delta";
  const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
  const content = choice?.delta?.content;
  return typeof content === "string" && content !== "";
}

function checkSequence(verdict: BodyVerdict, sequence: readonly number[]): void {
  for (const [index, k] of sequence.entries()) {
    if (k !== index) {
      verdict.problems.push(`content event ${index} carries mark ${k}`);
      return;
    }
  }
}

function nameVerdict(verdict: BodyVerdict, names: Set<string>): void {
  if (names.size > 1) verdict.problems.push(`spliced from ${[...names].join(", ")}`);
  if (names.size >= 1) verdict.marker = [...names][0];
}

function namesIn(text: string): Set<string> {
  return new Set([...text.matchAll(RESPONSE_NAME)].map((match) => match[1]));
}

function emptyVerdict(): BodyVerdict {
  return {
    contentEvents: 0,
    terminal: false,
    errorEvent: false,
    usageSeen: false,
    problems: [],
  };
}

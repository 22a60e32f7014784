import assert from "node:assert/strict";
import { formatSse, type SseEvent, SseParser } from "./sse.ts";
import { cutAt, oneByteChunks, singleCuts } from "../../tests/support/splits.ts";

const encoder = new TextEncoder();

function parseAll(pieces: (string | Uint8Array)[]): SseEvent[] {
  const parser = new SseParser();
  const events = pieces.flatMap((piece) => parser.push(piece));
  return [...events, ...parser.finish()];
}

const GRAMMAR: { name: string; text: string; events: SseEvent[] }[] = [
  {
    name: "LF events with names",
    text: "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n",
    events: [{ event: "a", data: "1" }, { event: "b", data: "2" }],
  },
  {
    name: "CRLF line ends",
    text: "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n",
    events: [{ event: "a", data: "1" }, { data: "2" }],
  },
  {
    name: "lone CR line ends",
    text: "data: 1\r\rdata: 2\r\r",
    events: [{ data: "1" }, { data: "2" }],
  },
  {
    name: "comments and keep-alives are skipped",
    text: ": ping\n\n:\ndata: x\n: inside\n\n",
    events: [{ data: "x" }],
  },
  {
    name: "multi-line data joins with LF",
    text: "data: one\ndata: two\ndata:\ndata:  three\n\n",
    events: [{ data: "one\ntwo\n\n three" }],
  },
  {
    name: "no space after colon",
    text: "event:e\ndata:{}\n\n",
    events: [{ event: "e", data: "{}" }],
  },
  { name: "a field with no colon", text: "data\n\n", events: [{ data: "" }] },
  {
    name: "an event without data is not dispatched",
    text: "event: x\n\ndata: y\n\n",
    events: [{
      data: "y",
    }],
  },
  {
    name: "id and retry",
    text: "id: 7\nretry: 50\ndata: d\n\n",
    events: [{ data: "d", id: "7", retry: 50 }],
  },
  { name: "a leading BOM", text: "\ufeffdata: b\n\n", events: [{ data: "b" }] },
  {
    name: "unterminated last event",
    text: "data: a\n\ndata: [DONE]",
    events: [{ data: "a" }, { data: "[DONE]" }],
  },
  { name: "unknown fields are ignored", text: "foo: bar\ndata: z\n\n", events: [{ data: "z" }] },
];

for (const { name, text, events } of GRAMMAR) {
  Deno.test(`sse parser: ${name}`, () => {
    assert.deepEqual(parseAll([text]), events);
  });
}

const MIXED = '\ufeffevent: message_start\r\ndata: {"a":"é😀"}\r\n\r\n: keep-alive\n\n' +
  "data: line1\ndata: line2\n\nevent: x\rdata: y\r\rdata: z\n\n";

Deno.test("sse parser: every single cut point and one-byte chunks give the same events", () => {
  const bytes = encoder.encode(MIXED);
  const whole = parseAll([bytes]);
  assert.equal(whole.length, 4);
  for (const split of [...singleCuts(bytes.length), oneByteChunks(bytes.length)]) {
    assert.deepEqual(parseAll(cutAt(bytes, split.cuts)), whole, `${split.name} ${split.cuts}`);
  }
});

Deno.test("sse parser: events come out the moment their blank line arrives", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("data: a\n"), []);
  assert.deepEqual(parser.push("\n"), [{ data: "a" }]);
  assert.deepEqual(parser.push("data: b\r"), []);
  // The LF after that CR belongs to the same line end: it is no blank line.
  assert.deepEqual(parser.push("\n"), []);
  assert.deepEqual(parser.push("\r\n"), [{ data: "b" }]);
});

Deno.test("sse writer: round-trips through the parser, multi-line data included", () => {
  const events: SseEvent[] = [
    { event: "response.created", data: '{"x":1}' },
    { data: "two\nlines\r\nand CRLF" },
    { data: "[DONE]" },
  ];
  const text = events.map(formatSse).join("");
  assert.equal(formatSse(events[0]), 'event: response.created\ndata: {"x":1}\n\n');
  assert.deepEqual(parseAll([text]), [events[0], { data: "two\nlines\nand CRLF" }, events[2]]);
});

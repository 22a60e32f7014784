/**
 * The SSE parser and writer: events, comments, CRLF, an unfinished tail,
 * raw text for byte-exact forwarding, skimming, and the end of a stream.
 */

import assert from "node:assert/strict";
import { sseComment, type SseEvent, sseEvent, SseParser, sseRetry } from "./sse.ts";

function parse(
  text: string,
  options = {},
): { events: SseEvent[]; raws: string[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const raws: string[] = [];
  const parser = new SseParser({
    event: (event, raw) => {
      events.push(event);
      raws.push(raw);
    },
  }, options);
  parser.push(text);
  return { events, raws, parser };
}

Deno.test("events are split off the front of the text; the unfinished rest waits", () => {
  const { events, parser } = parse(
    "event: a\ndata: 1\n\n: comment\n\ndata: 2\r\n\r\nevent: partial",
  );
  assert.deepEqual(events, [{ event: "a", data: "1" }, { data: "" }, { data: "2" }]);
  assert.equal(parser.unfinished, "event: partial");
  assert.equal(parser.idle, false);
});

Deno.test("multi-line data, fields without a value, and one leading space removed", () => {
  const { events } = parse("data:a\ndata:  b\nid\nevent:x\n\n");
  // An `id` line without a value sets the event id to "" (the standard's last event id).
  assert.deepEqual(events, [{ event: "x", data: "a\n b", id: "" }]);
});

Deno.test("the same events however the text is cut", () => {
  const text = 'event: a\r\ndata: {"x":1}\r\n\r\n: ping\n\nevent: b\ndata: 2\ndata: 3\n\n';
  const whole = parse(text).events;
  for (let cut = 0; cut <= text.length; cut++) {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (event) => events.push(event) });
    parser.push(text.slice(0, cut));
    parser.push(text.slice(cut));
    assert.deepEqual(events, whole, `cut at ${cut}`);
    assert.equal(parser.idle, true);
  }
});

Deno.test("raw text of each event is exact, so forwarding what is kept loses no byte", () => {
  const text = "event: a\r\ndata: 1\r\n\r\n: c\n\ndata: 2\n\n\n";
  const { raws, parser } = parse(text, { raw: true });
  assert.equal(raws.join(""), text);
  assert.equal(parser.idle, true);
});

Deno.test("field lines are reported with the event name in force", () => {
  const lines: [string, string, string | undefined][] = [];
  const parser = new SseParser({
    line: (field, value, event) => lines.push([field, value, event]),
  });
  parser.push("event: message_start\ndata: {}\n\ndata: x\n");
  assert.deepEqual(lines, [
    ["event", "message_start", "message_start"],
    ["data", "{}", "message_start"],
    ["data", "x", undefined],
  ]);
});

Deno.test("end reads an unfinished last line and reports an event no blank line closed", () => {
  const lines: string[] = [];
  const events: SseEvent[] = [];
  const raws: string[] = [];
  const parser = new SseParser({
    line: (_field, value) => lines.push(value),
    event: (event, raw) => (events.push(event), raws.push(raw)),
  }, { raw: true });
  parser.push("data: 1\n\ndata: 2\ndata: 3");
  assert.deepEqual(lines, ["1", "2"]);
  parser.end();
  assert.deepEqual(lines, ["1", "2", "3"]);
  assert.deepEqual(events, [{ data: "1" }, { data: "2\n3" }]);
  assert.equal(raws.join(""), "data: 1\n\ndata: 2\ndata: 3");
  assert.equal(parser.idle, true);
});

Deno.test("skim hands back complete lines in bulk and tracks the event name", () => {
  const names: (string | undefined)[] = [];
  const parser = new SseParser({ line: (_field, _value, event) => names.push(event) });
  assert.equal(parser.skim("event: a\ndata: 1"), "event: a\n");
  assert.equal(parser.unfinished, "data: 1");
  assert.equal(parser.skim("\n"), "data: 1\n");
  parser.push("data: 2\n");
  assert.deepEqual(names, ["a"]);
  // A blank line ends the name, CRLF or LF; text merely containing `event:` does not set one.
  assert.equal(parser.skim('\r\ndata: {"t":"event: no"}\n'), '\r\ndata: {"t":"event: no"}\n');
  parser.push("data: 3\n");
  assert.deepEqual(names, ["a", undefined]);
});

Deno.test("a runaway line is dropped past maxLine", () => {
  const parser = new SseParser({}, { maxLine: 8 });
  parser.push("data: 0123456789");
  assert.equal(parser.unfinished, "");
});

Deno.test("the writer: events, multi-line data, comments, retry", () => {
  assert.equal(sseEvent('{"a":1}', "snapshot"), 'event: snapshot\ndata: {"a":1}\n\n');
  assert.equal(sseEvent("x\ny"), "data: x\ndata: y\n\n");
  assert.equal(sseComment("keep-alive"), ": keep-alive\n\n");
  assert.equal(sseRetry(2000), "retry: 2000\n\n");
  const { events } = parse(sseEvent("x\ny", "e") + sseComment("c"));
  assert.deepEqual(events, [{ event: "e", data: "x\ny" }, { data: "" }]);
});

Deno.test("CR-only line ends, a CR cut from its LF, a leading BOM, id and retry", () => {
  const text = "\uFEFFid: 7\rretry: 50\revent: a\rdata: 1\r\rdata: 2\r\n\r\n";
  const expected = [
    { event: "a", data: "1", id: "7", retry: 50 },
    { data: "2", id: "7" },
  ];
  assert.deepEqual(parse(text).events, expected);
  for (let cut = 0; cut <= text.length; cut++) {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (event) => events.push(event) });
    parser.push(text.slice(0, cut));
    parser.push(text.slice(cut));
    parser.end();
    assert.deepEqual(events, expected, `cut at ${cut}`);
  }
});

/**
 * The soak's pure parts (scripts/soak/): seeded draws, the client-side body
 * verdict (splices, gaps, the terminal event), the blast-radius replay, what a
 * served answer must be charged, the cooldown rule and the memory plateau.
 */

import assert from "node:assert/strict";
import { conversationIn } from "../scripts/soak/answers.ts";
import {
  blastRadius,
  chargeOf,
  closedChargeCeiling,
  Index,
  outcomeOf,
} from "../scripts/soak/evidence.ts";
import { cooldownWindows, isStaleRetry, plateaus } from "../scripts/soak/checks.ts";
import { socketConversations } from "../scripts/soak/socket_checks.ts";
import {
  applicableFault,
  drawFault,
  drawProfile,
  STANDARD_FAULTS,
} from "../scripts/soak/faults.ts";
import { type Sse, sseText, successJson, successStream } from "../scripts/soak/formats.ts";
import { makePlan } from "../scripts/soak/plan.ts";
import {
  type Arrival,
  type ClientRecord,
  emptyNotes,
  type RunNotes,
} from "../scripts/soak/records.ts";
import { rngFor } from "../scripts/soak/rng.ts";
import { parseSse, verifyBody } from "../scripts/soak/stream_check.ts";

const RAW = { input: 100, output: 9, cached: 10, cacheWrite: 5 };

function whole(
  surface: "chat" | "responses" | "messages",
  marker = "r7",
  includeUsage = true,
): Sse[] {
  const parts = successStream(surface, marker, 4, "m", RAW, includeUsage);
  return [
    ...parts.preamble,
    ...(parts.opening ? [parts.opening] : []),
    ...parts.content,
    ...parts.tail,
  ];
}

Deno.test("seeded draws repeat for the same names, whatever the order", () => {
  const profile = drawProfile(rngFor(5, "profile", "oa-1"), STANDARD_FAULTS);
  const draws = (ids: string[]) => ids.map((id) => drawFault(5, "oa-1", profile, id, 0));
  const forward = draws(["a", "b", "c", "d", "e", "f"]);
  const backward = draws(["f", "e", "d", "c", "b", "a"]).reverse();
  assert.deepEqual(forward, backward);
  assert.deepEqual(makePlan(3, 30, 4), makePlan(3, 30, 4));
  assert.notDeepEqual(makePlan(3, 30, 4).accounts, makePlan(4, 30, 4).accounts);
  assert.equal(drawFault(5, "ok-oa", null, "a", 0), "ok");
});

Deno.test("faults that need a preamble fall back where the API has none", () => {
  assert.equal(applicableFault("error-before-content", "chat", true), "529");
  assert.equal(applicableFault("error-before-content", "responses", false), "529");
  assert.equal(applicableFault("drop-before-content", "messages", false), "reset");
  assert.equal(applicableFault("drop-before-content", "messages", true), "drop-before-content");
});

Deno.test("SSE parsing: LF, CRLF, CR, comments, a last event without its blank line", () => {
  assert.deepEqual(parseSse(": hi\r\nevent: a\r\ndata: 1\r\n\r\ndata: 2\rdata: 3\n\ndata: 4"), [
    { event: "a", data: "1" },
    { data: "2\n3" },
    { data: "4" },
  ]);
});

Deno.test("a whole stream in each format passes, with LF or CRLF", () => {
  for (const surface of ["chat", "responses", "messages"] as const) {
    for (const crlf of [false, true]) {
      const verdict = verifyBody(surface, true, true, sseText(whole(surface), crlf));
      assert.deepEqual(verdict.problems, [], `${surface} ${crlf}`);
      assert.equal(verdict.marker, "r7");
      assert.equal(verdict.contentEvents, 4);
      assert.ok(verdict.terminal);
    }
    const named = JSON.stringify(successJson(surface, "r91", 3, "m", RAW));
    const cutInName = named.slice(0, named.indexOf("r91") + 2);
    assert.equal(verifyBody(surface, false, false, cutInName).marker, undefined, cutInName);
    const json = JSON.stringify(successJson(surface, "r9", 3, "m", RAW));
    const verdict = verifyBody(surface, false, false, json);
    assert.deepEqual(
      [verdict.marker, verdict.contentEvents, verdict.terminal, verdict.problems],
      ["r9", 3, true, []],
    );
  }
});

Deno.test("splices, gaps, repeats and events after the end are caught", () => {
  const a = whole("chat", "r1", false);
  const b = whole("chat", "r2", false);
  const spliced = verifyBody(
    "chat",
    true,
    false,
    sseText([...a.slice(0, 3), ...b.slice(3)], false),
  );
  assert.ok(spliced.problems.some((problem) => problem.startsWith("spliced")));

  const gap = verifyBody("chat", true, false, sseText([...a.slice(0, 2), ...a.slice(3)], false));
  assert.deepEqual(gap.problems, ["content event 1 carries mark 2"]);

  const repeat = verifyBody(
    "messages",
    true,
    false,
    sseText([...whole("messages").slice(0, 5), ...whole("messages").slice(4)], false),
  );
  assert.ok(repeat.problems.length > 0);

  const after = verifyBody(
    "responses",
    true,
    false,
    sseText([...whole("responses"), whole("responses")[2]], false),
  );
  assert.ok(after.problems.some((problem) => problem.startsWith("an event after the end")));
});

Deno.test("a chat usage chunk must be there exactly when the client asked", () => {
  const asked = verifyBody("chat", true, true, sseText(whole("chat", "r1", false), false));
  assert.deepEqual(asked.problems, ["the usage chunk the client asked for is missing"]);
  const unasked = verifyBody("chat", true, false, sseText(whole("chat", "r1", true), false));
  assert.deepEqual(unasked.problems, ["a usage chunk the client did not ask for"]);
});

Deno.test("a cut stream has no terminal event; a stray byte before a field loses its event", () => {
  const events = whole("chat", "r1", false);
  const cut = verifyBody("chat", true, false, sseText(events.slice(0, 3), false));
  assert.deepEqual([cut.terminal, cut.contentEvents, cut.problems], [false, 2, []]);
  const midEvent = sseText(events.slice(0, 3), false).slice(0, -30);
  assert.deepEqual(verifyBody("chat", true, false, midEvent).problems, []);
  const text = sseText(events, false).replace("\n\ndata: {", "\n\n\uFFFDdata: {");
  assert.ok(verifyBody("chat", true, false, text).problems.length > 0);
});

function arrival(
  seq: number,
  id: string,
  account: string,
  fault: Arrival["fault"],
  extra: Partial<Arrival> = {},
): Arrival {
  return {
    seq,
    id,
    account,
    at: 1000 + seq,
    path: `/${account}/v1/chat/completions`,
    surface: "chat",
    stream: true,
    includeUsage: true,
    credentialOk: true,
    clientSecretSeen: false,
    fault,
    sentEvents: 0,
    completed: false,
    ...extra,
  };
}

function client(id: string, extra: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id,
    n: 0,
    key: "k",
    surface: "chat",
    stream: true,
    includeUsage: false,
    gateway: 0,
    incarnation: 0,
    sentAt: 1000,
    endedAt: 2000,
    queued: false,
    timedOut: false,
    body: { contentEvents: 0, terminal: false, errorEvent: false, usageSeen: false, problems: [] },
    ...extra,
  };
}

function notes(extra: Partial<RunNotes> = {}): RunNotes {
  return { ...emptyNotes(3), health: { checks: 1, failures: [], probes: [] }, ...extra };
}

Deno.test("blast radius: the same non-quota error twice, or a third one, ends the request", () => {
  const same = [arrival(1, "x", "a", "500"), arrival(2, "x", "b", "500")];
  assert.deepEqual(blastRadius(same), { stopped: true, spared: new Set() });
  const three = [
    arrival(1, "x", "a", "500"),
    arrival(2, "x", "b", "plain403"),
    arrival(3, "x", "c", "401"),
  ];
  assert.deepEqual(blastRadius(three), { stopped: true, spared: new Set([3]) });
  const quota = [
    arrival(1, "x", "a", "429-retry-after"),
    arrival(2, "x", "b", "500"),
    arrival(3, "x", "c", "ok"),
  ];
  assert.equal(blastRadius(quota).stopped, false);
});

Deno.test("charges: usage report when whole, deltas when cut, Anthropic start usage plus deltas", () => {
  const usage = { input: 10, output: 5, cached: 2 };
  const served = arrival(1, "x", "a", "ok", { status: 200, usage, completed: true });
  const whole = client("x", {
    status: 200,
    body: { ...client("x").body, terminal: true, contentEvents: 5 },
  });
  assert.deepEqual(chargeOf(whole, served), usage);
  const cut = client("x", {
    status: 200,
    failure: "cut",
    body: { ...client("x").body, contentEvents: 3 },
  });
  assert.deepEqual(chargeOf(cut, served), { input: 0, output: 3, cached: 0 });
  const anthropic = arrival(1, "x", "a", "drop-after-content", {
    status: 200,
    surface: "messages",
    startUsage: { input: 40, output: 1, cached: 7 },
  });
  assert.deepEqual(chargeOf(cut, anthropic), { input: 40, output: 3, cached: 7 });
  const json = arrival(1, "x", "a", "drop-after-content", { status: 200, stream: false, usage });
  assert.equal(chargeOf(cut, json), undefined);
  assert.equal(chargeOf(client("x", { status: 429 }), served), undefined);
});

Deno.test("outcomes: key limits and drops after content are the client's own; the rest are errors", () => {
  const plan = makePlan(1, 30, 4);
  const arrivals = [
    arrival(1, "drop", "a", "drop-after-content", { status: 200 }),
    arrival(2, "err", "a", "ok", { status: 200, completed: true }),
  ];
  const clients = [
    client("limit", {
      status: 429,
      excerpt: 'key "k" reached its limit of 30 requests per minute',
    }),
    client("drop", {
      status: 200,
      account: "a",
      failure: "cut",
      body: { ...client("x").body, marker: "r1" },
    }),
    client("err", {
      status: 200,
      account: "a",
      failure: "cut",
      body: { ...client("x").body, marker: "r2" },
    }),
  ];
  const index = new Index({ plan, arrivals, clients, notes: notes() });
  assert.deepEqual(clients.map((c) => outcomeOf(c, index)), [
    "own: key limit",
    "own: drop after content",
    "error",
  ]);
});

Deno.test("a cooldown counts from the client's headers (not the next attempt), until its announced end", () => {
  const plan = makePlan(1, 30, 4);
  const effect = { kind: "cooldown" as const, reason: "announced", until: 9000 };
  const arrivals = [
    arrival(1, "x", "a", "429-retry-after", { at: 1000, signalAt: 1000, effect }),
    // The write goes on while the next account is tried: in KV by the answer, not by then.
    arrival(2, "x", "b", "ok", { at: 1200 }),
    // Reached the upstream twice: proves nothing about cooldowns.
    arrival(3, "y", "a", "close-before-answer", { at: 1300, effect }),
    arrival(4, "y", "a", "ok", { at: 1400 }),
  ];
  const clients = [client("x", { headersAt: 1500, status: 200 }), client("y", { status: 200 })];
  const windows = cooldownWindows(new Index({ plan, arrivals, clients, notes: notes() }));
  assert.deepEqual(windows.map((w) => [w.account, w.from, w.until]), [["a", 1500, 9000]]);
});

Deno.test("memory plateaus unless the last third outgrows the middle third", () => {
  assert.equal(plateaus([1, 2, 3]), undefined);
  const flat = [50, 80, 90, 100, 101, 100, 102, 101, 103].map((mib) => mib * 1024);
  assert.equal(plateaus(flat)?.ok, true);
  const growing = [50, 80, 90, 100, 110, 120, 200, 220, 240].map((mib) => mib * 1024);
  assert.equal(plateaus(growing)?.ok, false);
  // A process that lived for less than half the run (killed mid-run) is not judged.
  assert.equal(plateaus(growing, 18), undefined);
});

Deno.test("the one re-send allowed: after a close before any answer, once, on a fresh connection", () => {
  const closed = arrival(1, "q", "a", "close-before-answer", { onConnection: 3 });
  const reset = arrival(1, "q", "a", "reset", { onConnection: 0 });
  const fresh = arrival(2, "q", "a", "ok", { onConnection: 0 });
  const reused = arrival(2, "q", "a", "ok", { onConnection: 1 });
  assert.ok(isStaleRetry([closed, fresh]));
  assert.ok(isStaleRetry([reset, fresh]));
  assert.ok(!isStaleRetry([closed, reused]), "the retry must go on a fresh connection");
  assert.ok(!isStaleRetry([arrival(1, "q", "a", "500"), fresh]), "an answer is not retried");
  assert.ok(!isStaleRetry([closed, fresh, arrival(3, "q", "a", "ok", { onConnection: 0 })]));
});

Deno.test("a WebSocket turn's request names its conversation, in any request format", () => {
  const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));
  const responses = encode({
    input: [
      { type: "message", role: "user", content: [{ type: "input_text", text: "soak-turn:w1-t0" }] },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "[r4:0]é [r4:1]é " }],
      },
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "soak-turn:w1-t1 go" }],
      },
    ],
  });
  assert.deepEqual(conversationIn(responses), { turns: ["w1-t0", "w1-t1"], responses: ["r4"] });
  const messages = encode({
    messages: [
      { role: "user", content: "soak-turn:w1-t0" },
      { role: "assistant", content: [{ type: "text", text: "[r4:0]é " }] },
      { role: "user", content: "soak-turn:w1-t1" },
    ],
  });
  assert.deepEqual(conversationIn(messages), { turns: ["w1-t0", "w1-t1"], responses: ["r4"] });
});

Deno.test("WebSocket sessions: every attempt of a turn must carry the whole conversation", () => {
  const plan = makePlan(1, 30, 4);
  const turn = (id: string, k: number, chain: { turns: string[]; responses: string[] }) =>
    client(id, {
      surface: "responses",
      status: 200,
      body: { ...client(id).body, terminal: true, marker: k === 0 ? "r1" : "r3" },
      socket: { session: "w1", turn: k, warmup: false, chain, closedByClient: false },
    });
  const clients = [
    turn("w1-t0", 0, { turns: [], responses: [] }),
    turn("w1-t1", 1, { turns: ["w1-t0"], responses: ["r1"] }),
  ];
  const carried = (turns: string[], responses: string[]) => ({
    session: "w1",
    history: { turns, responses },
    status: 200,
    completed: true,
  });
  const whole = [
    arrival(1, "w1-t0", "a", "ok", carried(["w1-t0"], [])),
    // The first account fails; the next one gets the whole conversation too.
    arrival(2, "w1-t1", "a", "529", carried(["w1-t0", "w1-t1"], ["r1"])),
    arrival(3, "w1-t1", "b", "ok", carried(["w1-t0", "w1-t1"], ["r1"])),
  ];
  const row = socketConversations(new Index({ plan, arrivals: whole, clients, notes: notes() }));
  assert.ok(row.ok, row.detail);
  assert.match(
    row.detail,
    /2 WebSocket turns .* 3 attempts checked; 1 continued .* 1 of them on another account/,
  );

  // After the failover only the new message went: the history is lost.
  const lost = [...whole.slice(0, 2), arrival(3, "w1-t1", "b", "ok", carried(["w1-t1"], []))];
  const failed = socketConversations(new Index({ plan, arrivals: lost, clients, notes: notes() }));
  assert.equal(failed.ok, false);
  assert.match(failed.detail, /w1-t1 at b: carried turns \[w1-t1\], not \[w1-t0,w1-t1\]/);
  // The earlier answer missing is caught as well.
  const noAnswer = [
    ...whole.slice(0, 2),
    arrival(3, "w1-t1", "b", "ok", carried(["w1-t0", "w1-t1"], [])),
  ];
  assert.equal(
    socketConversations(new Index({ plan, arrivals: noAnswer, clients, notes: notes() })).ok,
    false,
  );
  // Sessions that never continue a conversation prove nothing.
  const first = socketConversations(
    new Index({ plan, arrivals: whole.slice(0, 1), clients: clients.slice(0, 1), notes: notes() }),
  );
  assert.equal(first.ok, false);
});

Deno.test("a WebSocket turn closed by its client: its own outcome, charged at most what was sent", () => {
  const plan = makePlan(1, 30, 4);
  const closed = client("w2-t0", {
    surface: "responses",
    status: 200,
    body: { ...client("w2-t0").body, marker: "r5", contentEvents: 1 },
    socket: {
      session: "w2",
      turn: 0,
      warmup: false,
      chain: { turns: [], responses: [] },
      closedByClient: true,
    },
  });
  const served = arrival(5, "w2-t0", "a", "ok", { status: 200, sentEvents: 7 });
  const index = new Index({ plan, arrivals: [served], clients: [closed], notes: notes() });
  assert.equal(outcomeOf(closed, index), "own: client closed mid-turn");
  assert.deepEqual(closedChargeCeiling(served), { input: 0, output: 7, cached: 0 });
  const usage = { input: 30, output: 9, cached: 4 };
  assert.deepEqual(closedChargeCeiling({ ...served, usage, completed: true }), usage);
  assert.equal(closedChargeCeiling(arrival(6, "w2-t0", "a", "529", { status: 529 })), undefined);
});

Deno.test("a closed WebSocket turn an Anthropic account served may be charged message_start's input", () => {
  // A Responses turn translated to Messages: the gateway charges a stream cut before its usage
  // report message_start's input and cache tokens plus the deltas (README, Usage accounting).
  const start = { input: 529, output: 1, cached: 36 };
  const served = arrival(7, "w3-t1", "an-3", "ok", {
    status: 200,
    surface: "messages",
    stream: true,
    sentEvents: 8,
    startUsage: start,
  });
  assert.deepEqual(closedChargeCeiling(served), { input: 529, output: 8, cached: 36 });
  // Its report out (message_delta), the stream cut before the end: the report is the ceiling.
  const usage = { input: 529, output: 39, cached: 36 };
  assert.deepEqual(closedChargeCeiling({ ...served, usage }), usage);
  // Another API's start usage means nothing to the gateway's charge.
  assert.deepEqual(
    closedChargeCeiling({ ...served, surface: "responses" }),
    { input: 0, output: 8, cached: 0 },
  );
});

Deno.test("a WebSocket turn sent on a connection to the killed gateway after the kill was cut by it", () => {
  const plan = makePlan(1, 30, 4);
  const killed = notes({ killedAt: 12_000, killedGateway: 3 });
  const socket = {
    session: "w7",
    turn: 5,
    warmup: false,
    chain: { turns: [], responses: [] },
    closedByClient: false,
  };
  // Sent 150 ms after the kill: the client had not read the close of its connection yet.
  const late = client("w7-t5", {
    surface: "responses",
    gateway: 3,
    sentAt: 12_150,
    endedAt: 12_400,
    failure: "closed mid-turn (0 )",
    socket,
  });
  const index = (record: ClientRecord) =>
    new Index({ plan, arrivals: [], clients: [record], notes: killed });
  assert.equal(outcomeOf(late, index(late)), "gateway killed");
  // The restarted gateway, or another one: an error.
  const restarted = { ...late, incarnation: 1 };
  assert.equal(outcomeOf(restarted, index(restarted)), "error");
  const other = { ...late, gateway: 1 };
  assert.equal(outcomeOf(other, index(other)), "error");
  // An HTTP request is not sent to a gateway after its kill: one that was is an error.
  const http = { ...late, socket: undefined };
  assert.equal(outcomeOf(http, index(http)), "error");
});

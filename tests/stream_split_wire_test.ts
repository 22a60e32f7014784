/**
 * The split-anywhere property over real sockets: a mock upstream writes each
 * recorded stream (each format, LF and CRLF) in pieces, each flushed on its
 * own (one event per piece, every event cut mid-line and inside its blank
 * line, random cuts, one byte per piece), through a real gateway. Whatever the
 * pieces, the client gets the expected bytes, the stream ends, and the usage
 * recorded (request log and `GET /admin/usage`) is the stream's own. An error
 * event before content, however it is cut, and an upstream that closes the
 * connection after reading the request both fail over to the next account
 * before the client sees a byte.
 */
import assert from "node:assert/strict";
import type { TokenUsage } from "../lib/protocols/usage.ts";
import { eventually, within } from "./support/async.ts";
import { chatRequest, messagesRequest, startGateway, type TestGateway } from "./support/gateway.ts";
import { rawUpstream } from "./support/raw_http.ts";
import {
  crlf,
  RECORDED,
  type RecordedStream,
  recordedTokens,
  variants,
  withoutUsageChunk,
} from "./support/recorded_streams.ts";
import {
  eventChunks,
  midLineChunks,
  oneByteChunks,
  prng,
  propertySeed,
  randomSplits,
  replay,
  type Split,
} from "./support/splits.ts";
import { trickledResponse } from "./support/streams.ts";
import { upstream } from "./support/upstream.ts";

const SEED = propertySeed();
const CASE_HEADER = "x-split-case";
const encoder = new TextEncoder();

/** The split patterns sent for one body. */
function patterns(text: string, random: () => number): Split[] {
  const bytes = encoder.encode(text);
  return [
    { name: "one piece", cuts: [] },
    eventChunks(bytes),
    midLineChunks(bytes),
    ...randomSplits(bytes.length, 3, random),
    oneByteChunks(bytes.length),
  ];
}

function requestBody(stream: RecordedStream): unknown {
  if (stream.path === "/v1/messages") return messagesRequest("hi", { stream: true });
  if (stream.path === "/v1/responses") return { model: "gpt-4.1-mini", input: "hi", stream: true };
  return chatRequest("hi", { stream: true });
}

/** What the client of a standard account gets: the gateway asked for the chat usage chunk. */
function clientText(stream: RecordedStream, text: string): string {
  return withoutUsageChunk(stream, text);
}

/** Sends one request, checks the bytes, the end of the stream and its log line; returns the tokens. */
async function exchange(
  gw: TestGateway,
  stream: RecordedStream,
  expected: string,
  what: string,
  headers: Record<string, string>,
): Promise<TokenUsage | undefined> {
  const logged = gw.log.length;
  const response = await within(
    gw.api(stream.path, { json: requestBody(stream), headers }),
    `response headers: ${what}`,
  );
  assert.equal(response.status, 200, what);
  const text = await within(response.text(), `the end of the stream: ${what}`);
  assert.equal(text, expected, what);
  await eventually(() => Promise.resolve(gw.log.length > logged), `the log line: ${what}`);
  const entry = gw.log[logged];
  assert.equal(entry.end, "complete", what);
  assert.equal(entry.model, stream.model, what);
  assert.deepEqual(entry.tokens, recordedTokens(stream), what);
  return entry.tokens;
}

/** Adds up token counts, with the request count, as `GET /admin/usage` rows do. */
function total(all: (TokenUsage | undefined)[]): Record<string, number> {
  const sum = { input: 0, output: 0, cached: 0, requests: 0 };
  for (const tokens of all) {
    if (!tokens) continue;
    sum.input += tokens.input;
    sum.output += tokens.output;
    sum.cached += tokens.cached;
    sum.requests++;
  }
  return sum;
}

async function usageByAccount(gw: TestGateway): Promise<Record<string, unknown>[]> {
  const response = await gw.admin("/admin/usage?by=account");
  assert.equal(response.status, 200);
  // Tokens only: cost is tests/cost_test.ts's.
  const rows: Record<string, unknown>[] = (await response.json()).rows;
  return rows.map(({ costUsd: _usd, costMicros: _micros, ...tokens }) => tokens);
}

async function reset(gw: TestGateway, ...ids: string[]): Promise<void> {
  for (const id of ids) {
    const response = await gw.admin(`/admin/accounts/${id}/reset`, { method: "POST" });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  }
}

for (const [index, { stream, endings, text }] of variants().entries()) {
  Deno.test(`${stream.name} (${endings}) over the wire, in any pieces`, async () => {
    const cases = patterns(text, prng(SEED + index));
    await using mock = upstream((request) => {
      const split = cases[Number(request.headers.get(CASE_HEADER))];
      return trickledResponse(text, split.cuts);
    });
    const platform = stream.surface === "anthropic" ? "anthropic" : "openai";
    await using gw = await startGateway({ accounts: [{ id: "acct", upstream: mock, platform }] });
    const recorded: (TokenUsage | undefined)[] = [];
    for (const [n, split] of cases.entries()) {
      const what = replay(`${stream.name} (${endings})`, SEED, split);
      const headers = { [CASE_HEADER]: String(n) };
      recorded.push(await exchange(gw, stream, clientText(stream, text), what, headers));
      // An error before content was relayed (no other account) and cooled the account.
      if (stream.preamble !== "content") await reset(gw, "acct");
    }
    const expected = total(recorded);
    assert.deepEqual(
      await usageByAccount(gw),
      expected.requests ? [{ account: "acct", ...expected }] : [],
    );
  });
}

/** The complete stream of the same format as a stream that fails before content. */
function completeOf(failing: RecordedStream): RecordedStream {
  return RECORDED.find((each) => each.path === failing.path && each.preamble === "content")!;
}

for (const failing of RECORDED.filter((stream) => stream.preamble !== "content")) {
  Deno.test(`${failing.name} before content, in any pieces, fails over`, async () => {
    const serving = completeOf(failing);
    for (const [endings, convert] of [["LF", (t: string) => t], ["CRLF", crlf]] as const) {
      const cases = patterns(convert(failing.text), prng(SEED + failing.name.length));
      await using bad = upstream((request) => {
        const split = cases[Number(request.headers.get(CASE_HEADER))];
        return trickledResponse(convert(failing.text), split.cuts);
      });
      await using good = upstream(() => trickledResponse(convert(serving.text), "events"));
      const platform = failing.surface === "anthropic" ? "anthropic" : "openai";
      await using gw = await startGateway({
        accounts: [
          { id: "bad", upstream: bad, platform, priority: 1 },
          { id: "good", upstream: good, platform, priority: 2 },
        ],
      });
      const recorded: (TokenUsage | undefined)[] = [];
      for (const [n, split] of cases.entries()) {
        const what = replay(`${failing.name} (${endings}) then ${serving.name}`, SEED, split);
        const headers = { [CASE_HEADER]: String(n) };
        recorded.push(await exchange(gw, serving, convert(serving.text), what, headers));
        const attempts = gw.log.at(-1)!.attempts.map((attempt) => attempt.account);
        assert.deepEqual(attempts, ["bad", "good"], what);
        await reset(gw, "bad");
      }
      assert.deepEqual(await usageByAccount(gw), [{ account: "good", ...total(recorded) }]);
    }
  });
}

Deno.test("an upstream that closes the connection after reading the request fails over", async () => {
  await using closing = rawUpstream((exchange) => Promise.resolve(exchange.close()));
  for (const stream of RECORDED.filter((each) => each.preamble === "content")) {
    const text = crlf(stream.text);
    await using good = upstream(() =>
      trickledResponse(text, midLineChunks(encoder.encode(text)).cuts)
    );
    const platform = stream.surface === "anthropic" ? "anthropic" : "openai";
    await using gw = await startGateway({
      accounts: [
        { id: "closing", upstream: `${closing.url}/v1`, platform, priority: 1 },
        { id: "good", upstream: good, platform, priority: 2 },
      ],
    });
    const what = `${stream.name} (CRLF) after a closed connection`;
    const tokens = await exchange(gw, stream, clientText(stream, text), what, {});
    // Closed before any answer, as a stale keep-alive connection would be: tried once more on a
    // fresh connection, which closes too.
    assert.deepEqual(gw.log.at(-1)!.attempts.map((a) => [a.account, a.outcome]), [
      ["closing", "stale-connection"],
      ["closing", "unreachable"],
      ["good", "success"],
    ]);
    assert.deepEqual(
      await usageByAccount(gw),
      tokens ? [{ account: "good", ...total([tokens]) }] : [],
    );
  }
});

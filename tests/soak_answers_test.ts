/**
 * The soak's fault upstream counts the content events of a stream cut short
 * the way the gateway counts them for the charge: one per data line whose
 * ending the connection took, even if the event's blank line never went out.
 * (The charge ceiling of a WebSocket turn its client closed is this count.)
 */

import assert from "node:assert/strict";
import { answer } from "../scripts/soak/answers.ts";
import { Wire } from "../scripts/soak/http1.ts";
import { makePlan } from "../scripts/soak/plan.ts";
import type { Arrival } from "../scripts/soak/records.ts";
import { rngFor } from "../scripts/soak/rng.ts";

const encoder = new TextEncoder();
/** One character per byte, so string offsets are byte offsets. */
const bytewise = new TextDecoder("latin1");

/** A connection that takes at most `budget` bytes (the last write part-way), then fails. */
class CutConnection {
  readonly taken: number[] = [];
  #body: Uint8Array | null;

  constructor(body: Uint8Array, private budget: number) {
    this.#body = body;
  }

  read(into: Uint8Array): Promise<number | null> {
    const body = this.#body;
    this.#body = null;
    if (body === null) return Promise.resolve(null);
    into.set(body);
    return Promise.resolve(body.length);
  }

  write(data: Uint8Array): Promise<number> {
    if (this.budget <= 0) return Promise.reject(new Error("connection reset by peer"));
    const n = Math.min(data.length, this.budget);
    this.budget -= n;
    this.taken.push(...data.subarray(0, n));
    return Promise.resolve(n);
  }

  close(): void {}
}

/** A streamed Responses answer of a healthy account, the connection cut after `budget` bytes. */
async function answerCut(budget: number, io: number): Promise<{ arrival: Arrival; wire: string }> {
  const plan = makePlan(1, 30, 2);
  const account = plan.accounts.find((candidate) => candidate.id === "ok-oa")!;
  const body = encoder.encode(JSON.stringify({ model: "m", stream: true, input: "hi" }));
  const headers = new Map([
    ["authorization", `Bearer ${account.apiKey}`],
    ["content-type", "application/json"],
    ["content-length", `${body.length}`],
    ["idempotency-key", "cut-1"],
  ]);
  let arrival: Arrival | undefined;
  const connection = new CutConnection(body, budget);
  await answer(
    {
      plan,
      account,
      clientSecrets: [],
      arrivals: () => 0,
      record: (record) => arrival = record,
      nextSeq: () => 1,
    },
    new Wire(connection as unknown as Deno.Conn),
    { method: "POST", target: "/ok-oa/v1/responses", headers },
    rngFor(io, "io"), // the same seed splits and paces the answer the same way
  );
  return { arrival: arrival!, wire: bytewise.decode(new Uint8Array(connection.taken)) };
}

/** The chunked body on the wire, each byte with its wire offset (a last chunk may be cut). */
function bodyOf(wire: string): { text: string; at: number[] } {
  let text = "";
  const at: number[] = [];
  let next = wire.indexOf("\r\n\r\n") + 4;
  while (next < wire.length) {
    const line = wire.indexOf("\r\n", next);
    if (line < 0) break;
    const size = parseInt(wire.slice(next, line), 16);
    if (!size) break;
    for (let i = line + 2; i < Math.min(line + 2 + size, wire.length); i++) {
      text += wire[i];
      at.push(i);
    }
    next = line + 2 + size + 2;
  }
  return { text, at };
}

/** Delta data lines whose ending (CR or LF) arrived: the gateway's count for a cut stream. */
const DELTA_LINE = /data: [^\r\n]*"response\.output_text\.delta"[^\r\n]*[\r\n]/g;

Deno.test("a stream cut after a delta's data line but before its blank line counts that delta", async () => {
  let between = 0;
  for (const io of [1, 2]) {
    const whole = await answerCut(1 << 20, io);
    assert.ok(whole.arrival.completed);
    const body = bodyOf(whole.wire);
    const ends = [...body.text.matchAll(DELTA_LINE)]
      .map((match) => body.at[match.index! + match[0].length - 1] + 1);
    assert.equal(ends.length, whole.arrival.sentEvents);
    for (const end of ends) {
      // Just before the line's ending, just after its first byte, and one byte later.
      for (const budget of [end - 1, end, end + 1]) {
        const { arrival, wire } = await answerCut(budget, io);
        assert.ok(!arrival.completed && arrival.peerGone);
        const seen = [...bodyOf(wire).text.matchAll(DELTA_LINE)].length;
        if (budget >= end) between++;
        assert.equal(arrival.sentEvents, seen, `io ${io}, cut after ${budget} bytes`);
      }
    }
  }
  assert.ok(between > 0);
});

Deno.test("a stream cut once its usage report began to go out records that report", async () => {
  const whole = await answerCut(1 << 20, 1);
  const body = bodyOf(whole.wire);
  const report = body.text.indexOf('"response.completed"');
  assert.ok(report > 0 && whole.arrival.usage);
  // Cut a few bytes into the event that carries the report: the gateway may have read it.
  const { arrival } = await answerCut(body.at[report] + 1, 1);
  assert.ok(!arrival.completed && arrival.peerGone);
  assert.deepEqual(arrival.usage, whole.arrival.usage);
  // Cut before its event: no report went out.
  const before = await answerCut(body.at[body.text.lastIndexOf("event: ", report)] - 1, 1);
  assert.equal(before.arrival.usage, undefined);
});

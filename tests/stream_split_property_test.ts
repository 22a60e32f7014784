/**
 * Property: whatever the upstream's bytes are cut into, everything that reads
 * or rewrites an SSE body gives the same result as for the body in one piece.
 * For every recorded stream (each format, LF and CRLF) and every split (each
 * single cut point, random multi-cut splits from a seeded PRNG, one-byte
 * chunks, one event per chunk):
 * - `tapBody`, strip mode off and on, relays exactly the same bytes, reports
 *   the same usage, and ends;
 * - `holdPreamble` makes the same decision (content, or the same error event)
 *   and what it held plus what it left re-assembles to the input.
 * A failure names the stream, the cut points and the seed to replay it with
 * (`PROPERTY_SEED=<seed> scripts/deno test -A tests/stream_split_property_test.ts`).
 */
import assert from "node:assert/strict";
import { holdPreamble } from "../lib/failover/preamble.ts";
import type { SseEvent } from "../lib/http/sse.ts";
import { tapBody, type TapResult } from "../lib/usage/tap.ts";
import { within } from "./support/async.ts";
import { type RecordedStream, variants, withoutUsageChunk } from "./support/recorded_streams.ts";
import {
  cutAt,
  eventChunks,
  joined,
  oneByteChunks,
  prng,
  propertySeed,
  randomSplits,
  replay,
  singleCuts,
  type Split,
  streamOf,
} from "./support/splits.ts";

const SEED = propertySeed();
const RANDOM_SPLITS = 200;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the client gets through the tap, and what the tap reported. */
interface Tapped {
  bytes: Uint8Array;
  result: TapResult;
}

async function tapped(
  stream: RecordedStream,
  pieces: Uint8Array[],
  strip: boolean,
  what: string,
): Promise<Tapped> {
  let result: TapResult | undefined;
  const body = tapBody(streamOf(pieces), {
    surface: stream.surface,
    contentType: "text/event-stream; charset=utf-8",
    scanUsage: true,
    stripUsageChunk: strip,
    onFirstByte() {},
    onEnd(report) {
      result = report;
    },
  });
  const bytes = new Uint8Array(await within(new Response(body).arrayBuffer(), what, 5_000));
  assert.ok(result, `${what}: the tap never reported`);
  return { bytes, result };
}

/** What `holdPreamble` decided, and the bytes it held and left, in order. */
interface Held {
  decision: "content" | "dropped" | SseEvent;
  bytes: Uint8Array;
}

async function held(pieces: Uint8Array[], what: string): Promise<Held> {
  const start = await within(holdPreamble(streamOf(pieces), 60_000), what, 5_000);
  if (start.kind === "dropped") return { decision: "dropped", bytes: new Uint8Array() };
  const parts = [...start.held];
  if (start.kind === "content" && start.pending) {
    const first = await start.pending;
    if (!first.done) parts.push(first.value);
  }
  for (;;) {
    const { done, value } = await within(start.reader.read(), what, 5_000);
    if (done) break;
    parts.push(value);
  }
  return {
    decision: start.kind === "error" ? start.event : "content",
    bytes: joined(parts),
  };
}

/** The first offset where `a` and `b` differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

function assertSameBytes(got: Uint8Array, want: Uint8Array, message: string): void {
  const at = firstDifference(got, want);
  if (at < 0) return;
  const around = (bytes: Uint8Array) =>
    JSON.stringify(decoder.decode(bytes.subarray(Math.max(0, at - 40), at + 40)));
  assert.fail(
    `${message}\n  first difference at byte ${at}: got ${around(got)}, want ${
      around(want)
    } (${got.length} vs ${want.length} bytes)`,
  );
}

for (const [index, { stream, endings, text }] of variants().entries()) {
  const bytes = encoder.encode(text);
  const splits: Split[] = [
    ...singleCuts(bytes.length),
    ...randomSplits(bytes.length, RANDOM_SPLITS, prng(SEED + index)),
    oneByteChunks(bytes.length),
    eventChunks(bytes),
  ];
  const name = `${stream.name} (${endings})`;

  Deno.test(`${name}: the usage tap relays the same bytes and usage however it is split`, async (t) => {
    for (const strip of [false, true]) {
      await t.step(`strip mode ${strip ? "on" : "off"}`, async () => {
        const whole = await tapped(stream, [bytes.slice()], strip, `${name} in one piece`);
        const expected = strip ? withoutUsageChunk(stream, text) : text;
        assertSameBytes(whole.bytes, encoder.encode(expected), `${name} in one piece`);
        assert.deepEqual(whole.result, {
          usage: stream.usage,
          model: stream.model,
          deltas: stream.deltas,
          end: "complete",
          bytes: bytes.length,
          ...(stream.responseId ? { responseId: stream.responseId } : {}),
        });
        for (const split of splits) {
          const what = replay(`${name}, strip ${strip}`, SEED, split);
          const got = await tapped(stream, cutAt(bytes, split.cuts), strip, what);
          assertSameBytes(got.bytes, whole.bytes, what);
          assert.deepEqual(got.result, whole.result, what);
        }
      });
    }
  });

  Deno.test(`${name}: the preamble hold decides the same however it is split`, async () => {
    const whole = await held([bytes.slice()], `${name} in one piece`);
    const expected = stream.preamble === "content" ? "content" : whole.decision;
    assert.deepEqual(whole.decision, expected);
    if (stream.preamble !== "content") {
      assert.equal((whole.decision as SseEvent).event, stream.preamble.error);
    }
    assertSameBytes(whole.bytes, bytes, `${name} in one piece`);
    for (const split of splits) {
      const what = replay(name, SEED, split);
      const got = await held(cutAt(bytes, split.cuts), what);
      assert.deepEqual(got.decision, whole.decision, what);
      assertSameBytes(got.bytes, bytes, what);
    }
  });
}

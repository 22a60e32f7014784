/**
 * How a body can be cut into chunks, for property tests: every single cut
 * point, random multi-cut splits from a seeded PRNG (so a failure replays),
 * one-byte chunks, and one event per chunk. Cuts are byte offsets, so they
 * fall inside multi-byte characters and between CR and LF too.
 *
 * @module
 */

/** A named way to cut a body: the byte offsets where a new chunk starts. */
export interface Split {
  name: string;
  cuts: number[];
}

/**
 * The seed for this run: `PROPERTY_SEED` from the environment (to replay a
 * failure), else a fresh one. Failures print it.
 */
export function propertySeed(): number {
  const given = Deno.env.get("PROPERTY_SEED");
  return given ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** A small seeded PRNG (mulberry32): floats in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Each single cut point of a body of `length` bytes. */
export function singleCuts(length: number): Split[] {
  return Array.from({ length: length - 1 }, (_, i) => ({ name: "one cut", cuts: [i + 1] }));
}

/** `count` random splits into 2 to 40 chunks. */
export function randomSplits(length: number, count: number, random: () => number): Split[] {
  const splits: Split[] = [];
  for (let n = 0; n < count; n++) {
    const pieces = 2 + Math.floor(random() * 39);
    const cuts = new Set<number>();
    for (let i = 0; i < pieces - 1; i++) cuts.add(1 + Math.floor(random() * (length - 1)));
    splits.push({ name: "random cuts", cuts: [...cuts].sort((a, b) => a - b) });
  }
  return splits;
}

/** One chunk per byte. */
export function oneByteChunks(length: number): Split {
  return { name: "one-byte chunks", cuts: Array.from({ length: length - 1 }, (_, i) => i + 1) };
}

/** One chunk per event: a cut just past each blank line (byte offsets). */
export function eventChunks(bytes: Uint8Array): Split {
  const cuts: number[] = [];
  for (let i = 1; i < bytes.length - 1; i++) {
    // "\n\n" or "\n\r\n": the end of an event in LF or CRLF streams.
    if (bytes[i] === 10 && (bytes[i - 1] === 10 || (bytes[i - 1] === 13 && bytes[i - 2] === 10))) {
      cuts.push(i + 1);
    }
  }
  return { name: "one event per chunk", cuts };
}

/** Every event cut twice: in the middle of its first line, and inside its closing blank line. */
export function midLineChunks(bytes: Uint8Array): Split {
  const cuts: number[] = [];
  let start = 0;
  for (const end of [...eventChunks(bytes).cuts, bytes.length]) {
    const lineEnd = bytes.indexOf(10, start);
    cuts.push(start + Math.max(1, Math.floor((lineEnd - start) / 2)), end - 1);
    start = end;
  }
  return { name: "every event cut mid-line and in its blank line", cuts };
}

/** `bytes` cut at `cuts` (ascending offsets), each piece a copy of its own. */
export function cutAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    if (end > start) pieces.push(bytes.slice(start, end));
    start = Math.max(start, end);
  }
  return pieces;
}

/** A stream that hands out `pieces`, one per read. */
export function streamOf(pieces: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  const queue = [...pieces];
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = queue.shift();
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
}

/** A failure message that lets the case be replayed. */
export function replay(what: string, seed: number, split: Split): string {
  const cuts = split.cuts.length <= 64 ? `at byte offsets [${split.cuts.join(", ")}]` : "";
  return `${what}; ${split.name} ${cuts}; replay with PROPERTY_SEED=${seed}`;
}

/** The pieces joined back into one body. */
export function joined(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

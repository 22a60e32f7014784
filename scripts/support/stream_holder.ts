/**
 * The client of `deno task scale`, a process of its own: opens N streaming
 * requests at once (at most `openConcurrency` waiting for their first byte at
 * a time), holds them all while they trickle, and checks that each one
 * arrived whole: status 200, exactly `expectEvents` SSE events, the last one
 * `[DONE]`, and a clean end of the chunked body.
 * `deno run --allow-net scripts/support/stream_holder.ts '<spec as JSON>'`
 * prints `open <count>` every half second (streams begun and not yet ended),
 * then one JSON line with the result.
 *
 * @module
 */

import { percentile } from "./latency_client.ts";
import { answerJsonScript } from "./processes.ts";
import { postRequest, RawConnection } from "./raw_client.ts";

/** What to open and what each stream must carry. */
export interface HoldSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  streams: number;
  expectEvents: number;
  openConcurrency: number;
}

/** What the holder prints last. */
export interface HoldResult {
  streams: number;
  whole: number;
  /** The first few reasons a stream was not whole. */
  problems: string[];
  ttfbP50: number;
  ttfbP99: number;
  /** Seconds from the first connect until every stream had its first byte. */
  openSeconds: number;
  /** The most streams that had begun and not yet ended at any one time. */
  peakOpen: number;
}

if (import.meta.main) await answerJsonScript(hold);

async function hold(spec: HoldSpec): Promise<HoldResult> {
  const url = new URL(spec.url);
  const request = postRequest(url, spec.headers, spec.body);
  const started = performance.now();
  const gate = semaphore(spec.openConcurrency);
  let waiting = spec.streams;
  let openSeconds = 0;
  const opened = () => {
    if (--waiting > 0) return;
    openSeconds = (performance.now() - started) / 1000;
  };
  const ttfbs: number[] = [];
  const problems: string[] = [];
  let whole = 0;
  let open = 0;
  let peakOpen = 0;
  const one = async () => {
    await gate.acquire();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      peakOpen = Math.max(peakOpen, ++open);
      gate.release();
      opened();
    };
    let connection: RawConnection | undefined;
    try {
      connection = await RawConnection.open(url, 4096);
      const exchange = await connection.exchange(request, release);
      ttfbs.push(exchange.ttfbMs);
      const problem = check(exchange.status, new TextDecoder().decode(exchange.body), spec);
      if (problem) problems.push(problem);
      else whole++;
    } catch (error) {
      problems.push(String(error));
    } finally {
      release();
      open--;
      connection?.close();
    }
  };
  const ticker = setInterval(() => console.log(`open ${open}`), 500);
  await Promise.all(Array.from({ length: spec.streams }, one));
  clearInterval(ticker);
  return {
    streams: spec.streams,
    whole,
    problems: problems.slice(0, 5),
    ttfbP50: percentile(ttfbs, 0.5),
    ttfbP99: percentile(ttfbs, 0.99),
    openSeconds,
    peakOpen,
  };
}

/** Why a stream is not whole, or null when it is. */
function check(status: number, body: string, spec: HoldSpec): string | null {
  if (status !== 200) return `status ${status}: ${body.slice(0, 120)}`;
  const events = body.split("\n\n").filter((event) => event.trim().startsWith("data:"));
  if (events.length !== spec.expectEvents) {
    return `${events.length} events instead of ${spec.expectEvents}`;
  }
  if (events.at(-1)!.trim() !== "data: [DONE]") return "the last event is not [DONE]";
  return null;
}

function semaphore(size: number): { acquire(): Promise<void>; release(): void } {
  let free = size;
  const queue: (() => void)[] = [];
  return {
    acquire: () => {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => queue.push(resolve));
    },
    release: () => {
      const next = queue.shift();
      if (next) next();
      else free++;
    },
  };
}

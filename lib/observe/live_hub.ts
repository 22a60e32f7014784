/**
 * Live updates for the dashboard as server-sent events. Every subscriber gets
 * a snapshot when it connects, then a new one whenever something changes: at
 * once when this process saw an account change (a failover, a reset, a
 * management call), and within `pollMs` when another process changed shared
 * state. The poll timer runs only while someone is watching. A comment line
 * every `keepAliveMs` keeps idle proxies from closing the stream.
 *
 * Each stream remembers the grant it was opened with (the admin token's
 * digest). On every poll tick, and before every snapshot is sent, the hub asks
 * for the grant in force now and ends the streams opened with another one: a
 * `deno task admin reset-token` (from any process) ends the old token's
 * streams within `pollMs`, and they are sent nothing built after it.
 *
 * @module
 */

import { sseComment, sseEvent, sseRetry } from "../http/sse.ts";
import { logError } from "../log.ts";

const encoder = new TextEncoder();

/** Fans snapshots out to SSE subscribers. */
export class LiveHub {
  /** Each open stream and the grant it was opened with. */
  readonly #subscribers = new Map<ReadableStreamDefaultController<Uint8Array>, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticks = 0;
  #last = "";
  #building: Promise<void> | undefined;
  #again = false;
  #nudge: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly snapshot: () => Promise<unknown>,
    private readonly pollMs = 2000,
    private readonly keepAliveEvery = 8,
    /** The grant in force now; `undefined` ends every stream. Without it, grants never lapse. */
    private readonly currentGrant?: () => Promise<string | undefined>,
  ) {}

  /** How many streams are open. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** An SSE response that streams snapshots until the client leaves or `grant` lapses. */
  stream(grant = ""): Response {
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        this.#subscribers.set(controller, grant);
        controller.enqueue(encoder.encode(sseRetry(2000)));
        this.#startPolling();
        this.#last = ""; // make the next build reach the newcomer
        this.poke();
      },
      cancel: () => {
        if (self) this.#subscribers.delete(self);
        if (this.#subscribers.size === 0) this.#stopPolling();
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Something changed: build and send a snapshot now (coalesced with one in progress). */
  poke(): void {
    if (this.#subscribers.size === 0) return;
    if (this.#building) {
      this.#again = true;
      return;
    }
    this.#building = this.#broadcast().finally(() => {
      this.#building = undefined;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
  }

  /** Something minor changed (tokens were used): send a snapshot within `delayMs`, batching bursts. */
  nudge(delayMs = 250): void {
    if (this.#subscribers.size === 0 || this.#nudge !== undefined) return;
    this.#nudge = setTimeout(() => {
      this.#nudge = undefined;
      this.poke();
    }, delayMs);
  }

  /** Ends every stream and waits for a snapshot in progress. */
  async close(): Promise<void> {
    this.#stopPolling();
    clearTimeout(this.#nudge);
    this.#nudge = undefined;
    for (const controller of this.#subscribers.keys()) this.#end(controller);
    this.#again = false;
    await this.#building;
  }

  async #broadcast(): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify(await this.snapshot());
    } catch (error) {
      logError("dashboard snapshot failed", { error: String(error) });
      return;
    }
    if (text === this.#last) return;
    await this.#dropLapsed(); // nothing built after a token reset reaches its old streams
    this.#last = text;
    this.#send(sseEvent(text, "snapshot"));
  }

  /** Ends the streams whose grant is no longer the one in force. */
  async #dropLapsed(): Promise<void> {
    if (!this.currentGrant || this.#subscribers.size === 0) return;
    let now: string | undefined;
    try {
      now = await this.currentGrant();
    } catch (error) {
      logError("dashboard grant check failed", { error: String(error) });
      return;
    }
    for (const [controller, grant] of this.#subscribers) {
      if (grant !== now) this.#end(controller);
    }
    if (this.#subscribers.size === 0) this.#stopPolling();
  }

  #end(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#subscribers.delete(controller);
    try {
      controller.close();
    } catch { /* already closed */ }
  }

  #send(message: string): void {
    const bytes = encoder.encode(message);
    for (const controller of this.#subscribers.keys()) {
      try {
        controller.enqueue(bytes);
      } catch {
        this.#subscribers.delete(controller);
      }
    }
  }

  #startPolling(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (++this.#ticks % this.keepAliveEvery === 0) this.#send(sseComment("keep-alive"));
      this.#dropLapsed().then(() => this.poke());
    }, this.pollMs);
  }

  #stopPolling(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#nudge);
    this.#nudge = undefined;
  }
}

/**
 * Accepting a Responses WebSocket (Codex CLI's transport): `GET
 * /v1/responses` with `Upgrade: websocket`. The client key is checked from
 * the handshake's headers before the upgrade (a wrong key gets the usual
 * 401, counted and logged like any request); each turn is then checked
 * again as a request of its own (`session.ts`). The open connections are
 * kept so that shutdown can close them with 1001.
 *
 * @module
 */

import { errorResponse } from "../../http/errors.ts";
import { presentedKey } from "../../http/headers.ts";
import { RESPONSES_SOCKET_PATH } from "../../protocols/inference_paths.ts";
import type { Pipeline } from "../api.ts";
import { CLOSE, SOCKET_DRAIN_MS, type SocketLimits } from "./limits.ts";
import { ResponsesSocket } from "./session.ts";
import { turnHeaders } from "./turn_io.ts";

const SHUTTING_DOWN = "the gateway is shutting down";

/** Is `request` a Responses WebSocket handshake? */
export function isResponsesSocket(request: Request, url: URL): boolean {
  return request.method === "GET" && url.pathname === RESPONSES_SOCKET_PATH &&
    (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

/** The open Responses WebSockets of a gateway. */
export class ResponseSockets {
  readonly #open = new Set<ResponsesSocket>();
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(private readonly pipeline: Pipeline, private readonly limits: SocketLimits) {}

  /** How many connections are open. */
  get size(): number {
    return this.#open.size;
  }

  /** Answers a handshake: 101 and a connection, or a refusal in the OpenAI error shape. */
  async accept(request: Request, url: URL): Promise<Response> {
    const { pipeline } = this;
    const started = performance.now();
    await pipeline.states.current(); // reloads keys changed by any process
    const key = pipeline.admit.directory.findKey(presentedKey(request.headers));
    const refuse = (status: number, message: string, outcome: string) =>
      pipeline.relay.deliver({
        request,
        path: url.pathname,
        started,
        surface: "openai",
        key: key?.id ?? null,
        response: errorResponse("openai", status, message),
        outcome,
      });
    if (!key) return refuse(401, "missing or invalid API key", "unauthorized");
    if (this.#draining) return refuse(503, "the gateway is shutting down", "unavailable");
    const headers = turnHeaders(request.headers); // the request closes on upgrade
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request, { idleTimeout: this.limits.pingSeconds });
    } catch {
      return refuse(400, "not a valid WebSocket handshake", "rejected");
    }
    const session = new ResponsesSocket(upgraded.socket, headers, url, {
      pipeline,
      limits: this.limits,
      closed: (gone) => {
        this.#open.delete(gone);
        if (this.#open.size === 0) this.#drained?.();
      },
    });
    this.#open.add(session);
    return upgraded.response;
  }

  /**
   * Shutdown: no new connections; each open one closes with 1001 (a turn in
   * flight finishes first). Resolves once all have closed; after `ms` those
   * still open close at once, their turns cancelled, with the same code and
   * reason.
   */
  drain(ms = SOCKET_DRAIN_MS): Promise<void> {
    this.#draining = true;
    if (this.#open.size === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const session of this.#open) session.closeNow(CLOSE.goingAway, SHUTTING_DOWN);
        resolve();
      }, ms);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    for (const session of this.#open) session.close(CLOSE.goingAway, SHUTTING_DOWN);
    return done;
  }
}

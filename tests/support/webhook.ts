/**
 * A webhook receiver for alert tests: `Deno.serve` on loopback that checks
 * each delivery's `x-switchyard-signature` (HMAC-SHA256 of the raw body,
 * verified with Web Crypto) and records it. `failFirst` answers that many
 * deliveries with a 500 first, for retries.
 *
 * @module
 */

import { within } from "./async.ts";

/** One delivery as received. */
export interface Received {
  event: string | null;
  /** The raw body, parsed. */
  body: Record<string, unknown>;
  /** The signature verified against the secret (false when missing or wrong). */
  signed: boolean;
}

/** A running receiver. */
export interface WebhookReceiver extends AsyncDisposable {
  url: string;
  /** Deliveries answered 2xx. */
  received: Received[];
  /** Every attempt, failed ones too. */
  attempts: number;
}

async function verify(secret: string, raw: string, header: string | null): Promise<boolean> {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const mac = new Uint8Array(match[1].match(/../g)!.map((byte) => parseInt(byte, 16)));
  return await crypto.subtle.verify("HMAC", key, mac, encoder.encode(raw));
}

/** Starts a receiver that checks signatures made with `secret`. */
export function webhookReceiver(secret: string, failFirst = 0): WebhookReceiver {
  const received: Received[] = [];
  const state = { attempts: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const raw = await request.text();
      state.attempts++;
      if (state.attempts <= failFirst) return new Response("try later", { status: 500 });
      received.push({
        event: request.headers.get("x-switchyard-event"),
        body: JSON.parse(raw),
        signed: await verify(secret, raw, request.headers.get("x-switchyard-signature")),
      });
      return new Response(null, { status: 204 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook/T0KEN`,
    received,
    get attempts() {
      return state.attempts;
    },
    [Symbol.asyncDispose]: () => within(server.shutdown(), "the webhook receiver to shut down"),
  };
}

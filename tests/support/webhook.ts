/**
 * A webhook receiver for alert tests: `Deno.serve` on loopback that checks
 * each delivery's `x-switchyard-signature` (HMAC-SHA256 of the raw body) and
 * records it. The check is the `verified` function shown in
 * docs/operations.md (Alerts), read from the doc and run as it is written,
 * so the code operators copy is the code the tests rely on. `failFirst`
 * answers that many deliveries with a 500 first, for retries.
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

type Verify = (request: Request, secret: string) => Promise<unknown>;

/** The documented `verified` function, taken from docs/operations.md and imported as a module. */
export async function documentedVerify(): Promise<Verify> {
  const doc = await Deno.readTextFile(new URL("../../docs/operations.md", import.meta.url));
  const snippet = /```ts\n(async function verified\([\s\S]*?)```/.exec(doc)?.[1];
  if (!snippet) throw new Error("docs/operations.md no longer shows `async function verified`");
  const source = `${snippet}\nexport { verified };\n`;
  const url = `data:application/typescript,${encodeURIComponent(source)}`;
  return (await import(url) as { verified: Verify }).verified;
}

let verifying: Promise<Verify> | undefined;

/** Starts a receiver that checks signatures made with `secret`. */
export function webhookReceiver(secret: string, failFirst = 0): WebhookReceiver {
  const received: Received[] = [];
  const state = { attempts: 0 };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const verify = await (verifying ??= documentedVerify());
      const signed = await verify(request.clone(), secret).then(() => true, () => false);
      const raw = await request.text();
      state.attempts++;
      if (state.attempts <= failFirst) return new Response("try later", { status: 500 });
      received.push({
        event: request.headers.get("x-switchyard-event"),
        body: JSON.parse(raw),
        signed,
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

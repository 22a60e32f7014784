/**
 * The soak's fault-injecting upstream, a process of its own:
 * `deno run --allow-net --allow-read scripts/soak/fault_upstream.ts PLAN.json`.
 *
 * One raw-TCP HTTP/1.1 listener per account on loopback (so the gateway keeps a
 * connection pool per account, as with real upstream hosts), each answering
 * any number of requests at once over keep-alive connections. The account is
 * named in the path (`/<account>/v1/...`) and checked against the credential.
 * A control server answers `GET /ports` and `GET /records` (every arrival).
 * The process ends on SIGTERM or when its stdin closes (its parent died).
 *
 * @module
 */

import { answer, type AnswerContext } from "./answers.ts";
import { Wire } from "./http1.ts";
import type { SoakAccount, SoakPlan } from "./plan.ts";
import type { Arrival } from "./records.ts";
import { rngFor } from "./rng.ts";

/** Requests one keep-alive connection may carry before the upstream closes it. */
const MAX_REQUESTS_PER_CONNECTION = 10_000;

const plan: SoakPlan = JSON.parse(await Deno.readTextFile(Deno.args[0]));
const clientSecrets = [plan.adminToken, ...plan.keys.map((key) => key.key)];
const records: Arrival[] = [];
const counts = new Map<string, number>();
const conns = new Set<Wire>();
const listeners: Deno.Listener[] = [];
const ports: Record<string, number> = {};
let seq = 0;
let connections = 0;
/** Requests that arrived on a connection closing for idleness, closed unanswered. */
let raced = 0;

for (const account of plan.accounts) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listeners.push(listener);
  ports[account.id] = (listener.addr as Deno.NetAddr).port;
  void accept(listener, account);
}

const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  const path = new URL(request.url).pathname;
  if (path === "/ports") return Response.json(ports);
  if (path === "/records") return Response.json(records);
  if (path === "/raced") return Response.json(raced);
  return new Response("not found", { status: 404 });
});
console.log(`soak upstream listening on http://127.0.0.1:${control.addr.port}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const listener of listeners) listener.close();
  for (const wire of conns) wire.close();
  await control.shutdown();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
// The parent holds our stdin: when it goes away, so do we.
void (async () => {
  for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
  await stop();
})();

async function accept(listener: Deno.Listener, account: SoakAccount): Promise<void> {
  const context: AnswerContext = {
    plan,
    account,
    clientSecrets,
    arrivals(id) {
      const key = `${id}|${account.id}`;
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      return n;
    },
    record: (arrival) => records.push(arrival),
    nextSeq: () => ++seq,
  };
  try {
    for await (const conn of listener) void serve(context, new Wire(conn));
  } catch {
    // closed on stop
  }
}

async function serve(context: AnswerContext, wire: Wire): Promise<void> {
  conns.add(wire);
  const io = rngFor(plan.seed, "io", context.account.id, connections++);
  try {
    let closesOnNext = false;
    for (let served = 0; served < MAX_REQUESTS_PER_CONNECTION && !stopping; served++) {
      const head = await wire.head();
      if (head === null) break;
      if (closesOnNext) {
        // The idle close lost the race to this request: it closes unread and unanswered, as if
        // it never arrived (it is not recorded). The gateway must try again on a fresh
        // connection, at no cost to the account.
        raced++;
        break;
      }
      if (!(await answer(context, wire, head, io, served))) break;
      // Now and then an idle keep-alive connection is closed, as servers do, by every account,
      // healthy or not: after a short idle time, or just as the next request arrives.
      if (io.chance(0.04)) {
        await new Promise((resolve) => setTimeout(resolve, io.int(0, 30)));
        break;
      }
      closesOnNext = io.chance(0.03);
    }
  } catch {
    // the gateway went away mid-request
  } finally {
    wire.close();
    conns.delete(wire);
  }
}

/**
 * Measures how long a server keeps slow connections open: one that sent half
 * its request headers, one that sent nothing, and one whose body stalls after
 * its headers. `deno run -A scripts/slow_headers.ts [URL] [--key K] [--seconds N]`
 * (default: a `Deno.serve` started here, as the gateway uses it; N = 75;
 * `--key`: a client key, so a gateway reads the body).
 * Deno.serve 2.9 keeps all three open past any N tried (it has no header read
 * timeout); the gateway answers the stalled body with 408 after
 * `bodyTimeoutSeconds` but the socket stays open (see the README's security
 * settings).
 *
 * @module
 */

import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { seconds: { type: "string", default: "75" }, key: { type: "string" } },
});
const limitMs = Number(values.seconds) * 1000;
const local = positionals[0] ? undefined : Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  async (request) => new Response(String((await request.bytes().catch(() => "")).length)),
);
const target = new URL(positionals[0] ?? `http://127.0.0.1:${local!.addr.port}`);

/** Sends `text` on a fresh connection; resolves with how it ended. */
async function probe(text: string): Promise<string> {
  const conn = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  await conn.write(new TextEncoder().encode(text));
  const started = Date.now();
  let received = "";
  const closed = (async () => {
    try {
      for await (const chunk of conn.readable) received += new TextDecoder().decode(chunk);
    } catch { /* reset */ }
    return `closed by the server after ${Date.now() - started} ms`;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still open after ${limitMs} ms`), limitMs);
  });
  const outcome = await Promise.race([closed, open]);
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  const status = /^HTTP\/1\.1 (\d+)/.exec(received)?.[1];
  return status ? `${outcome} (answered ${status})` : outcome;
}

const host = `Host: ${target.host}\r\n` +
  (values.key ? `Authorization: Bearer ${values.key}\r\n` : "");
const results = await Promise.all([
  probe(`POST /v1/chat/completions HTTP/1.1\r\n${host}Content-Le`),
  probe(""),
  probe(`POST /v1/chat/completions HTTP/1.1\r\n${host}Content-Length: 100\r\n\r\n{"mo`),
]);
console.log(`half-sent headers: ${results[0]}`);
console.log(`nothing sent:      ${results[1]}`);
console.log(`stalled body:      ${results[2]}`);
await local?.shutdown();

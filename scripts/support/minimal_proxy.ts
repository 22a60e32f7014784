/**
 * The least a proxy can do, as a yardstick for the benchmark: forward the
 * request to the mock and hand the upstream body straight back (`plain`), or
 * through a pass-through byte stream like the one the gateway needs to count
 * tokens (`observed`), or read a JSON answer whole and answer from its bytes
 * (`buffered`, as the gateway does with a JSON answer; a stream still passes
 * straight through). No auth, no state, no failover.
 * `deno run --allow-net scripts/support/minimal_proxy.ts <upstream-url> plain|observed|buffered`
 *
 * @module
 */

const [upstream, mode = "plain"] = Deno.args;

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  async (request) => {
    const url = new URL(request.url);
    const response = await fetch(`${upstream}${url.pathname.replace(/^\/v1/, "")}`, {
      method: request.method,
      headers: { "content-type": request.headers.get("content-type") ?? "application/json" },
      body: await request.arrayBuffer(),
    });
    const json = response.headers.get("content-type")?.startsWith("application/json") ?? false;
    const body = mode === "buffered" && json
      ? await response.arrayBuffer()
      : mode === "observed" && response.body
      ? passThrough(response.body)
      : response.body;
    return new Response(body, { status: response.status, headers: response.headers });
  },
);
console.log(`minimal proxy listening on http://127.0.0.1:${server.addr.port}`);
// Stopped by SIGTERM: exit cleanly, so a `--cpu-prof` run writes its profile.
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

function passThrough(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value as Uint8Array<ArrayBuffer>);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

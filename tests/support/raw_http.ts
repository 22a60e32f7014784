/**
 * HTTP/1.1 written by hand over TCP, for what `fetch` and `Deno.serve` would
 * tidy away: hop-by-hop request headers sent exactly as given, and an upstream
 * whose connection dies in the middle of a chunked body.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Sends one raw request (`Connection: close` is added) and returns the raw response. */
export async function rawRequest(
  baseUrl: string,
  requestLine: string,
  headers: readonly string[],
  body = "",
): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(baseUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const lines = [requestLine, ...headers, `Content-Length: ${encoder.encode(body).length}`];
  if (!headers.some((header) => /^connection:/i.test(header))) lines.push("Connection: close");
  await conn.write(encoder.encode(`${lines.join("\r\n")}\r\n\r\n${body}`));
  const text = await new Response(conn.readable).text();
  const split = text.indexOf("\r\n\r\n");
  const head = text.slice(0, split);
  const raw = text.slice(split + 4);
  const decoded = /^transfer-encoding:\s*chunked/im.test(head) ? dechunk(raw) : raw;
  return { status: Number(head.split(" ")[1]), head, body: decoded };
}

/** Decodes a chunked body (the tests' bodies are ASCII, so lengths count characters). */
function dechunk(raw: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at);
    const size = parseInt(raw.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** A TCP connection to a raw upstream, after its request head was read. */
export interface RawExchange {
  /** The request head (request line and headers). */
  head: string;
  write(text: string): Promise<void>;
  /** Writes one chunk of a chunked body. */
  chunk(text: string): Promise<void>;
  /** Closes the connection, whatever state the response is in. */
  close(): void;
}

/** An upstream that answers each connection with `script`, byte by byte. */
export interface RawUpstream extends AsyncDisposable {
  url: string;
}

/** Starts a raw upstream on a loopback port. */
export function rawUpstream(script: (exchange: RawExchange) => Promise<void>): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      handled.push(serveOne(conn, script).finally(() => conns.delete(conn)));
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of conns) closeQuietly(conn);
      await Promise.allSettled(handled);
    },
  };
}

async function serveOne(
  conn: Deno.Conn,
  script: (exchange: RawExchange) => Promise<void>,
): Promise<void> {
  let closed = false;
  const close = () => {
    if (!closed) closeQuietly(conn);
    closed = true;
  };
  try {
    const head = await readHead(conn);
    const write = async (text: string) => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    };
    await script({
      head,
      write,
      chunk: (text) => write(`${encoder.encode(text).length.toString(16)}\r\n${text}\r\n`),
      close,
    });
  } catch {
    // The peer went away: nothing to do.
  } finally {
    close();
  }
}

/** Reads up to the end of the request head (the tests send small bodies, read with it or ignored). */
async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const read = await conn.read(buffer);
    if (read === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, read));
  }
  return text.slice(0, text.indexOf("\r\n\r\n"));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

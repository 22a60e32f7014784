/**
 * HTTP/1.1 written by hand over TCP, for what `fetch` and `Deno.serve` would
 * tidy away: hop-by-hop request headers sent exactly as given, an upstream
 * whose connection dies in the middle of a chunked body, and a keep-alive
 * upstream that closes a reused connection after reading a request whole.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** One character per byte, so positions found in its text are byte offsets. */
const bytewise = new TextDecoder("latin1");

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

/** A client connection that sent part of a request and waits for whatever comes back. */
export interface StalledClient extends Disposable {
  /** Everything the server sent until it closed the connection. */
  answer: Promise<string>;
  /** What arrived so far. */
  received(): string;
  /** Sends more bytes. */
  write(text: string): Promise<void>;
}

/** Opens a connection, writes `text` (part of a request, say) and keeps reading. */
export async function stalledClient(baseUrl: string, text: string): Promise<StalledClient> {
  const url = new URL(baseUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await writeAll(conn, text);
  let received = "";
  const answer = (async () => {
    try {
      for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
        received += chunk;
      }
    } catch {
      // Reset by the server: what arrived is the answer.
    }
    return received;
  })();
  return {
    answer,
    received: () => received,
    write: (more) => writeAll(conn, more),
    [Symbol.dispose]: () => closeQuietly(conn),
  };
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
  /** Resolves when the other side closes the connection (or resets it). */
  closedByPeer(): Promise<void>;
}

/** An upstream that answers each connection with `script`, byte by byte. */
export interface RawUpstream extends AsyncDisposable {
  url: string;
}

/** Starts a raw upstream on a loopback port. */
export function rawUpstream(script: (exchange: RawExchange) => Promise<void>): RawUpstream {
  return listen((conn) => serveOne(conn, script));
}

/** One request as a keep-alive upstream read it: head and whole body. */
export interface SeenRequest {
  /** The request head (request line and headers). */
  head: string;
  body: string;
  /** How many requests its connection carried before this one (0: a fresh connection). */
  onConnection: number;
  /** The address the connection came from (a proxy's egress address, say). */
  peer: string;
}

/** A JSON answer (sent with `Content-Length`, the connection kept open), or closing without one. */
export type KeepAliveReply = { status: number; json: unknown } | "close";

/** A keep-alive upstream and every request it read, in order. */
export interface KeepAliveUpstream extends RawUpstream {
  requests: SeenRequest[];
}

/**
 * Starts an HTTP/1.1 upstream that keeps connections open: it reads each
 * request whole (`Content-Length` or chunked) and does what `reply` says;
 * `"close"` closes the connection without a byte of answer.
 */
export function keepAliveUpstream(
  reply: (request: SeenRequest, index: number) => KeepAliveReply,
): KeepAliveUpstream {
  const requests: SeenRequest[] = [];
  const upstream = listen(async (conn) => {
    const reader = new RequestReader(conn);
    for (let onConnection = 0;; onConnection++) {
      const head = await reader.head();
      if (head === null) return;
      const peer = (conn.remoteAddr as Deno.NetAddr).hostname;
      const request = { head, body: await reader.body(head), onConnection, peer };
      requests.push(request);
      const answer = reply(request, requests.length - 1);
      if (answer === "close") return;
      const body = JSON.stringify(answer.json);
      await writeAll(
        conn,
        `HTTP/1.1 ${answer.status} OK\r\ncontent-type: application/json\r\n` +
          `content-length: ${encoder.encode(body).length}\r\nconnection: keep-alive\r\n\r\n${body}`,
      );
    }
  });
  return Object.assign(upstream, { requests });
}

/** Accepts connections on a loopback port and hands each to `serve`, which may close it. */
function listen(serve: (conn: Deno.Conn) => Promise<void>): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const served = serve(conn).catch(() => {
        // The peer went away: nothing to do.
      });
      handled.push(served.finally(() => {
        conns.delete(conn);
        closeQuietly(conn);
      }));
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
    const head = (await new RequestReader(conn).head()) ?? "";
    const write = (text: string) => writeAll(conn, text);
    await script({
      head,
      write,
      chunk: (text) => write(`${encoder.encode(text).length.toString(16)}\r\n${text}\r\n`),
      close,
      closedByPeer: async () => {
        const buffer = new Uint8Array(4096);
        try {
          while ((await conn.read(buffer)) !== null) {
            // The rest of the request, or nothing: wait for the end.
          }
        } catch {
          // Reset: closed too.
        }
      },
    });
  } catch {
    // The peer went away: nothing to do.
  } finally {
    close();
  }
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Reads requests off a connection: heads, and bodies by `Content-Length` or chunked framing. */
class RequestReader {
  #buffered = new Uint8Array(0);

  constructor(private readonly conn: Deno.Conn) {}

  /** The next request head, or `null` when the connection ends before one. */
  async head(): Promise<string | null> {
    const end = await this.#find("\r\n\r\n");
    return end === null ? null : decoder.decode(this.#take(end + 4)).slice(0, end);
  }

  /** The body of the request with this head (the tests' bodies are text). */
  async body(head: string): Promise<string> {
    const length = /^content-length:\s*(\d+)/im.exec(head);
    if (length) return decoder.decode(await this.#exactly(Number(length[1])));
    if (!/^transfer-encoding:\s*chunked/im.test(head)) return "";
    let body = "";
    for (;;) {
      const lineEnd = await this.#find("\r\n");
      if (lineEnd === null) throw new Error("connection ended inside a chunked body");
      const size = parseInt(decoder.decode(this.#take(lineEnd + 2)), 16);
      body += decoder.decode((await this.#exactly(size + 2)).subarray(0, size));
      if (size === 0) return body;
    }
  }

  /** Where `marker` starts in the buffer, reading until it arrives; `null` at the end. */
  async #find(marker: string): Promise<number | null> {
    for (;;) {
      const at = bytewise.decode(this.#buffered).indexOf(marker);
      if (at >= 0) return at;
      if (!(await this.#fill())) return null;
    }
  }

  async #exactly(count: number): Promise<Uint8Array> {
    while (this.#buffered.length < count) {
      if (!(await this.#fill())) throw new Error("connection ended inside a body");
    }
    return this.#take(count);
  }

  #take(count: number): Uint8Array {
    const taken = this.#buffered.subarray(0, count);
    this.#buffered = this.#buffered.subarray(count);
    return taken;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const read = await this.conn.read(chunk);
    if (read === null) return false;
    const joined = new Uint8Array(this.#buffered.length + read);
    joined.set(this.#buffered);
    joined.set(chunk.subarray(0, read), this.#buffered.length);
    this.#buffered = joined;
    return true;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Just enough HTTP/1.1 over a raw TCP connection for an upstream that must
 * misbehave the way real ones do: keep-alive connections it may close at any
 * point (even after reading a request, before answering), bodies written in
 * pieces of any size, streams cut without their last chunk. `Deno.serve`
 * would tidy all of that away.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_LIMIT = 64 * 1024;
const CRLF = encoder.encode("\r\n");

/** A request head: method, target and lower-cased headers. */
export interface RequestHead {
  method: string;
  target: string;
  headers: Map<string, string>;
}

/** Reads requests from, and writes bytes to, one connection. */
export class Wire {
  #buffer: Uint8Array = new Uint8Array(0);
  #closed = false;
  /** Bytes the connection has taken so far (a write that throws may have taken part of its data). */
  sent = 0;

  constructor(readonly conn: Deno.Conn) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** The next request head; `null` when the peer closed between requests. */
  async head(): Promise<RequestHead | null> {
    for (;;) {
      const end = indexOf(this.#buffer, "\r\n\r\n");
      if (end >= 0) {
        const text = decoder.decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.subarray(end + 4);
        return parseHead(text);
      }
      if (this.#buffer.length > HEAD_LIMIT) throw new Error("request head too large");
      const before = this.#buffer.length;
      if (!(await this.#fill())) {
        if (before === 0) return null;
        throw new Error("connection closed inside a request head");
      }
    }
  }

  /** The body of the request whose head was just read (Content-Length or chunked). */
  async body(head: RequestHead): Promise<Uint8Array> {
    if (/chunked/i.test(head.headers.get("transfer-encoding") ?? "")) return await this.#chunked();
    const length = Number(head.headers.get("content-length") ?? "0");
    if (!Number.isSafeInteger(length) || length < 0) throw new Error("bad content-length");
    return await this.#take(length);
  }

  /** Waits until the peer closes the connection, for at most `maxMs`. */
  async closedByPeer(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), maxMs);
    });
    try {
      while (Date.now() < deadline) {
        const more = await Promise.race([this.#fill().catch(() => false), late]);
        if (!more) return;
        this.#buffer = new Uint8Array(0); // a hung exchange ignores whatever else arrives
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes all of `bytes`. */
  async write(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    let written = 0;
    while (written < data.length) {
      const taken = await this.conn.write(data.subarray(written));
      written += taken;
      this.sent += taken;
    }
  }

  /** Writes `data` as one chunk of a chunked body. */
  async chunk(data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    await this.write(concat([encoder.encode(data.length.toString(16)), CRLF, data, CRLF]));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const read = await this.conn.read(chunk);
    if (read === null) return false;
    this.#buffer = concat([this.#buffer, chunk.subarray(0, read)]);
    return true;
  }

  async #take(length: number): Promise<Uint8Array> {
    while (this.#buffer.length < length) {
      if (!(await this.#fill())) throw new Error("connection closed inside a request body");
    }
    const out = this.#buffer.slice(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return out;
  }

  async #line(): Promise<string> {
    for (;;) {
      const end = indexOf(this.#buffer, "\r\n");
      if (end >= 0) {
        const line = decoder.decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.subarray(end + 2);
        return line;
      }
      if (!(await this.#fill())) throw new Error("connection closed inside a chunked body");
    }
  }

  async #chunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const size = parseInt((await this.#line()).split(";")[0], 16);
      if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size");
      if (size === 0) {
        while ((await this.#line()) !== "") { /* trailers */ }
        return concat(parts);
      }
      parts.push(await this.#take(size));
      await this.#take(2);
    }
    throw new Error("too many chunks");
  }
}

/** A response head. */
export function responseHead(status: number, headers: readonly [string, string][]): string {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The end of a chunked body. */
export const LAST_CHUNK = "0\r\n\r\n";

function parseHead(text: string): RequestHead {
  const [requestLine, ...lines] = text.split("\r\n");
  const [method, target] = requestLine.split(" ");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return { method: method ?? "", target: target ?? "", headers };
}

function indexOf(bytes: Uint8Array, needle: string): number {
  const first = needle.charCodeAt(0);
  outer: for (
    let i = bytes.indexOf(first);
    i >= 0 && i <= bytes.length - needle.length;
    i = bytes.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) {
      if (bytes[i + j] !== needle.charCodeAt(j)) continue outer;
    }
    return i;
  }
  return -1;
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const REASONS: Record<number, string> = {
  200: "OK",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  529: "Overloaded",
};

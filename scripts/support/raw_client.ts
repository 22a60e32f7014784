/**
 * HTTP/1.1 over a raw keep-alive TCP connection, for the benchmarks' timed
 * clients: the latency client and the stream holder of `deno task scale`.
 * Written by hand so a measurement costs a socket write and reads, with no
 * client library between the clock and the bytes; it records when the first
 * body byte arrived (time to first byte) as well as the whole exchange.
 * It speaks just what the benchmark targets answer: `Content-Length` or
 * chunked bodies without trailers, or a body that ends with the connection.
 *
 * @module
 */

const CRLF = new Uint8Array([13, 10]);
const HEAD_END = new Uint8Array([13, 10, 13, 10]);
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** One request and its response, timed from the write. */
export interface Exchange {
  status: number;
  /** Milliseconds from the write until the first body byte arrived. */
  ttfbMs: number;
  /** Milliseconds from the write until the body was complete. */
  totalMs: number;
  body: Uint8Array;
}

/** A POST request as bytes, ready to send on any connection to `url`'s host. */
export function postRequest(url: URL, headers: Record<string, string>, body: string): Uint8Array {
  const payload = encoder.encode(body);
  const lines = [
    `POST ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    `Content-Length: ${payload.byteLength}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  const head = encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
  const bytes = new Uint8Array(head.byteLength + payload.byteLength);
  bytes.set(head);
  bytes.set(payload, head.byteLength);
  return bytes;
}

/** A keep-alive connection that runs one exchange at a time. */
export class RawConnection {
  #conn: Deno.TcpConn;
  #scratch: Uint8Array;
  #pending = new Uint8Array(0);
  #lastReadAt = 0;
  #closed = false;

  private constructor(conn: Deno.TcpConn, scratchBytes: number) {
    this.#conn = conn;
    this.#scratch = new Uint8Array(scratchBytes);
  }

  /** Connects to `url`'s host; `scratchBytes` is the read buffer (small for many connections). */
  static async open(url: URL, scratchBytes = 65_536): Promise<RawConnection> {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    conn.setNoDelay(true);
    return new RawConnection(conn, scratchBytes);
  }

  /** True once the server closed the connection (open a new one for the next exchange). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `request` and reads the whole response; `onFirstByte` runs when its body begins. */
  async exchange(request: Uint8Array, onFirstByte?: () => void): Promise<Exchange> {
    const started = performance.now();
    await this.#conn.write(request);
    let at = await this.#readUntil(HEAD_END);
    const head = latin1.decode(this.#take(at + HEAD_END.byteLength));
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
    if (/\r\nconnection:\s*close/i.test(head)) this.#closed = true;
    let ttfbMs = 0;
    // The first body byte arrived with the read that buffered it.
    const mark = () => {
      if (ttfbMs !== 0 || this.#pending.byteLength === 0) return;
      ttfbMs = this.#lastReadAt - started;
      onFirstByte?.();
    };
    const parts: Uint8Array[] = [];
    if (length) {
      const size = Number(length[1]);
      mark();
      while (this.#pending.byteLength < size && await this.#read()) mark();
      parts.push(this.#take(size));
    } else if (chunked) {
      for (;;) {
        at = await this.#readUntil(CRLF);
        const size = parseInt(latin1.decode(this.#take(at + 2)), 16);
        if (!(size > 0)) {
          await this.#readUntil(CRLF);
          this.#take(2);
          break;
        }
        mark();
        while (this.#pending.byteLength < size + 2 && await this.#read()) mark();
        parts.push(this.#take(size));
        this.#take(2);
      }
    } else {
      this.#closed = true;
      mark();
      while (await this.#read()) mark();
      parts.push(this.#take(this.#pending.byteLength));
    }
    if (ttfbMs === 0) {
      ttfbMs = performance.now() - started;
      onFirstByte?.();
    }
    return { status, ttfbMs, totalMs: performance.now() - started, body: concat(parts) };
  }

  close(): void {
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  /** Reads until `needle` is buffered; returns its offset. */
  async #readUntil(needle: Uint8Array): Promise<number> {
    for (;;) {
      const at = indexOf(this.#pending, needle);
      if (at >= 0) return at;
      if (!await this.#read()) throw new Error("connection closed mid-response");
    }
  }

  /** One read appended to the pending bytes; false at end of stream. */
  async #read(): Promise<boolean> {
    const count = await this.#conn.read(this.#scratch);
    this.#lastReadAt = performance.now();
    if (count === null) {
      this.#closed = true;
      return false;
    }
    const grown = new Uint8Array(this.#pending.byteLength + count);
    grown.set(this.#pending);
    grown.set(this.#scratch.subarray(0, count), this.#pending.byteLength);
    this.#pending = grown;
    return true;
  }

  #take(count: number): Uint8Array {
    const taken = this.#pending.slice(0, count);
    this.#pending = this.#pending.subarray(count);
    return taken;
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

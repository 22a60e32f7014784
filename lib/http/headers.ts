/**
 * Which headers cross the gateway. Hop-by-hop headers describe one connection
 * and never travel on; `host`, `cookie` and `content-length` are recomputed or
 * private; client credentials are replaced by the account's. Also where a
 * client's own credential for the gateway is found.
 *
 * @module
 */

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Request headers never forwarded upstream. */
const DROPPED_REQUEST = new Set([
  ...HOP_BY_HOP,
  "host",
  "cookie",
  "content-length",
  // The client's credential for the gateway, never the upstream's.
  "authorization",
  "x-api-key",
  // fetch negotiates and decodes compression itself.
  "accept-encoding",
  // Forwarding chain details would reveal clients' addresses upstream.
  "forwarded",
  "x-forwarded-for",
  "x-real-ip",
]);

/** Response headers never passed back. fetch has already decoded the body. */
const DROPPED_RESPONSE = new Set([
  ...HOP_BY_HOP,
  "content-encoding",
  "content-length",
  "set-cookie",
]);

/** Header name and value pairs, in the order a `Headers` lists them. */
export type HeaderPairs = [string, string][];

/**
 * The client's headers that may travel upstream, as pairs: each attempt
 * builds its own `Headers` from them (from pairs that costs a quarter of
 * copying a `Headers`, which sorts its list on every iteration).
 */
export function forwardableRequestHeaders(incoming: Headers): HeaderPairs {
  const pairs: HeaderPairs = [];
  eachForwardable(incoming, DROPPED_REQUEST, (name, value) => {
    // Only set-cookie comes twice; the last one wins, as `Headers.set` would have it.
    const last = pairs.at(-1);
    if (last?.[0] === name) last[1] = value;
    else pairs.push([name, value]);
  });
  return pairs;
}

/**
 * An upstream response's headers that may reach the client, as pairs (a
 * `Response` made from pairs skips sorting a `Headers` copy once more).
 */
export function forwardableResponseHeaders(upstream: Headers): HeaderPairs {
  const pairs: HeaderPairs = [];
  eachForwardable(upstream, DROPPED_RESPONSE, (name, value) => pairs.push([name, value]));
  return pairs;
}

/** Each header not in `dropped` nor named in `Connection:` (RFC 9110 §7.6.1: hop-by-hop too). */
function eachForwardable(
  headers: Headers,
  dropped: ReadonlySet<string>,
  keep: (name: string, value: string) => void,
): void {
  // Parsed once, not once per header as before.
  const listed = headers.get("connection")?.toLowerCase().split(",").map((token) => token.trim());
  for (const [name, value] of headers) {
    if (!dropped.has(name) && !listed?.includes(name)) keep(name, value);
  }
}

/** The credential a client presented: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const apiKey = headers.get("x-api-key");
  return apiKey ? apiKey.trim() : null;
}

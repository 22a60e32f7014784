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

/** Copies the client's headers that may travel upstream. */
export function forwardableRequestHeaders(incoming: Headers): Headers {
  return forwardable(incoming, DROPPED_REQUEST, false);
}

/** Copies an upstream response's headers that may reach the client. */
export function forwardableResponseHeaders(upstream: Headers): Headers {
  return forwardable(upstream, DROPPED_RESPONSE, true);
}

/** The headers not in `dropped` nor named in `Connection:` (RFC 9110 §7.6.1: hop-by-hop too). */
function forwardable(headers: Headers, dropped: ReadonlySet<string>, append: boolean): Headers {
  // Parsed once, not once per header as before.
  const listed = headers.get("connection")?.toLowerCase().split(",").map((token) => token.trim());
  const out = new Headers();
  for (const [name, value] of headers) {
    if (dropped.has(name) || listed?.includes(name)) continue;
    if (append) out.append(name, value);
    else out.set(name, value);
  }
  return out;
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

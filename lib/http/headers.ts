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
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (!DROPPED_REQUEST.has(name) && !connectionListed(incoming, name)) out.set(name, value);
  }
  return out;
}

/** Copies an upstream response's headers that may reach the client. */
export function forwardableResponseHeaders(upstream: Headers): Headers {
  const out = new Headers();
  for (const [name, value] of upstream) {
    if (!DROPPED_RESPONSE.has(name) && !connectionListed(upstream, name)) out.append(name, value);
  }
  return out;
}

/** Headers named in `Connection:` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: Headers, name: string): boolean {
  const connection = headers.get("connection");
  if (!connection) return false;
  return connection.toLowerCase().split(",").some((token) => token.trim() === name);
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

/**
 * Which headers cross the gateway. A client's request headers are
 * ALLOW-LISTED per upstream platform ({@linkcode REQUEST_HEADERS}): what the
 * SDKs, the Codex CLI and Claude Code send and need, nothing else, so a client
 * cannot pick the pooled account's organization or project, name another
 * ChatGPT account, or pass on addresses (`x-forwarded-*`, `cf-connecting-ip`).
 * The providers then add the account's credential and its own headers.
 * An upstream's response headers pass back except hop-by-hop ones, those
 * fetch made stale, cookies, and the ones naming the account's organization
 * or project ({@linkcode ACCOUNT_IDENTIFYING}). Also where a client's own
 * credential for the gateway is found.
 *
 * @module
 */

import type { Platform } from "../config/types.ts";

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

/** Request headers any upstream gets from the client (the SDKs' own `x-stainless-*` too). */
const COMMON_REQUEST = ["accept", "content-type", "user-agent", "idempotency-key"];

/** The request headers forwarded, by the platform of the account an attempt goes to. */
export const REQUEST_HEADERS: Readonly<Record<Platform, readonly string[]>> = {
  openai: [
    ...COMMON_REQUEST,
    "openai-beta",
    // The Codex CLI's (chatgpt-account-id is the account's: the Codex provider sets it).
    "originator",
    "version",
    "session_id",
    "session-id",
    "conversation_id",
    "conversation-id",
    "thread-id",
    "x-client-request-id",
    "x-openai-internal-codex-responses-lite",
  ],
  anthropic: [
    ...COMMON_REQUEST,
    "anthropic-version",
    "anthropic-beta",
    "anthropic-dangerous-direct-browser-access",
    // Claude Code's.
    "x-app",
  ],
};

/** Families of request headers forwarded by prefix, per platform. */
const REQUEST_PREFIXES: Readonly<Record<Platform, readonly string[]>> = {
  openai: ["x-stainless-", "x-codex-"],
  anthropic: ["x-stainless-", "x-claude-code-"],
};

/** Response headers that name the upstream account's organization or project: never passed back. */
export const ACCOUNT_IDENTIFYING = [
  "openai-organization",
  "openai-project",
  "anthropic-organization-id",
  "chatgpt-account-id",
];

/** Response headers never passed back. fetch has already decoded the body. */
const DROPPED_RESPONSE = new Set([
  ...HOP_BY_HOP,
  "content-encoding",
  "content-length",
  "set-cookie",
  ...ACCOUNT_IDENTIFYING,
]);

const ALLOWED_REQUEST: Readonly<Record<Platform, ReadonlySet<string>>> = {
  openai: new Set(REQUEST_HEADERS.openai),
  anthropic: new Set(REQUEST_HEADERS.anthropic),
};

/** Header name and value pairs, in the order a `Headers` lists them. */
export type HeaderPairs = [string, string][];

/** The client's headers each platform's upstream may get, as pairs (read once per request). */
export type ForwardedRequestHeaders = Readonly<Record<Platform, HeaderPairs>>;

/**
 * The client's headers that may travel upstream, per platform, as pairs:
 * each attempt builds its own `Headers` from them (from pairs that costs a
 * quarter of copying a `Headers`, which sorts its list on every iteration).
 */
export function forwardableRequestHeaders(incoming: Headers): ForwardedRequestHeaders {
  const openai: HeaderPairs = [];
  const anthropic: HeaderPairs = [];
  // Names listed in Connection are hop-by-hop (RFC 9110 §7.6.1), whatever they are.
  const listed = connectionListed(incoming);
  for (const [name, value] of incoming) {
    const where = platformsOf(name);
    if (where === 0 || listed?.includes(name)) continue;
    if (where & OPENAI) openai.push([name, value]);
    if (where & ANTHROPIC) anthropic.push([name, value]);
  }
  return { openai, anthropic };
}

const OPENAI = 1;
const ANTHROPIC = 2;

/** Header name -> the platforms it is forwarded to (bits), decided once per name. */
const decided = new Map<string, number>();
/** Bounds {@linkcode decided}: clients may send any names; past this, decide afresh. */
const DECIDED_NAMES = 512;

function platformsOf(name: string): number {
  let where = decided.get(name);
  if (where === undefined) {
    where = (allowedRequest("openai", name) ? OPENAI : 0) |
      (allowedRequest("anthropic", name) ? ANTHROPIC : 0);
    if (decided.size < DECIDED_NAMES) decided.set(name, where);
  }
  return where;
}

function allowedRequest(platform: Platform, name: string): boolean {
  return ALLOWED_REQUEST[platform].has(name) ||
    REQUEST_PREFIXES[platform].some((prefix) => name.startsWith(prefix));
}

/**
 * An upstream response's headers that may reach the client, as pairs (a
 * `Response` made from pairs skips sorting a `Headers` copy once more).
 */
export function forwardableResponseHeaders(upstream: Headers): HeaderPairs {
  return readUpstreamHeaders(upstream).forwardable;
}

/** An upstream response's headers as one pass over them found them. */
export interface UpstreamHeaders {
  /** The headers that may reach the client (see {@linkcode forwardableResponseHeaders}). */
  forwardable: HeaderPairs;
  /** `content-type`, lower-cased; `""` when absent. */
  contentType: string;
  /** `content-length` as sent; `null` when absent. */
  contentLength: string | null;
  /** Whether a `content-encoding` is named (fetch inflates such a body). */
  encoded: boolean;
}

/**
 * Reads an upstream response's headers in one pass: the forwardable pairs and
 * the few the gateway decides by. Every `get()` on a `Headers` walks its list
 * again, and every iteration sorts it.
 */
export function readUpstreamHeaders(upstream: Headers): UpstreamHeaders {
  let pairs: HeaderPairs = [];
  let connection: string | undefined;
  let contentType = "";
  let contentLength: string | null = null;
  let encoded = false;
  for (const [name, value] of upstream) {
    if (name === "content-type") contentType = value.toLowerCase();
    else if (name === "content-length") contentLength = value;
    else if (name === "content-encoding") encoded = true;
    else if (name === "connection") connection = value;
    if (!DROPPED_RESPONSE.has(name)) pairs.push([name, value]);
  }
  if (connection !== undefined) {
    const listed = connectionTokens(connection);
    pairs = pairs.filter(([name]) => !listed.includes(name));
  }
  return { forwardable: pairs, contentType, contentLength, encoded };
}

/**
 * Whether `content-length` promises a body of at most `limit` bytes, so it can
 * be read in one go (one read op; a reader takes an event-loop turn per read).
 * Not for a compressed body: fetch inflates it, and its length says nothing
 * about the inflated size.
 */
export function declaredWithin(
  headers: Pick<UpstreamHeaders, "contentLength" | "encoded">,
  limit: number,
): boolean {
  if (headers.encoded) return false;
  const declared = Number(headers.contentLength ?? "NaN");
  return declared >= 0 && declared <= limit;
}

/** The names a `Connection:` header lists, parsed once per message. */
function connectionListed(headers: Headers): string[] | undefined {
  const value = headers.get("connection");
  return value === null ? undefined : connectionTokens(value);
}

function connectionTokens(value: string): string[] {
  return value.toLowerCase().split(",").map((token) => token.trim());
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

/** Visible ASCII and spaces: a header value every client reads the same way. */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e]*$/;

/**
 * `text` as a header value: as it is when plain ASCII, else percent-encoded
 * UTF-8 (`decodeURIComponent` gives it back). A header value is bytes, so a
 * client's text (a model name) put in one as it is would throw in
 * `Headers.set` beyond Latin-1, or reach clients as Latin-1 they misread.
 *
 * @example
 * ```ts
 * headerValue("gpt-5"); // "gpt-5"
 * headerValue("gpt-4oā"); // "gpt-4o%C4%81"
 * ```
 */
export function headerValue(text: string): string {
  return PLAIN_HEADER_VALUE.test(text) ? text : encodeURIComponent(text);
}

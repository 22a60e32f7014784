/**
 * Egress proxies: an account's `proxy` (`http://`, `https://` or `socks5://`,
 * with optional `user:pass@`) as Deno HTTP clients. One pair of clients per
 * proxy URL, shared by every account that names it and reused across
 * requests: a pooled one, and an unpooled one for the requests that must go
 * on a fresh connection (`lib/failover/attempt.ts`). Clients of a proxy no
 * account names any more are closed ({@linkcode ProxyClients.retain}); a
 * response already streaming through one keeps going (Deno holds the
 * connection until the body ends).
 *
 * The URL's credentials go to Deno as `basicAuth`, never into a log line:
 * {@linkcode maskProxy} is the only form shown.
 *
 * @module
 */

/** The URL schemes an account's `proxy` may use. */
export const PROXY_SCHEMES = ["http:", "https:", "socks5:", "socks5h:"] as const;

/** The clients that carry one proxy's traffic. */
export interface EgressClients {
  /** Keep-alive connections through the proxy. */
  pooled: Deno.HttpClient;
  /** A fresh connection through the proxy for every request. */
  fresh: Deno.HttpClient;
}

/** Why a `proxy` value is not usable, or `undefined` when it is. */
export function proxyProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a URL such as http://user:pass@host:port or socks5://host:port";
  }
  if (!(PROXY_SCHEMES as readonly string[]).includes(url.protocol)) {
    return "must start with http://, https://, socks5:// or socks5h://";
  }
  if (!url.hostname) return "must name a host";
  if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
    return "must be only scheme, credentials, host and port";
  }
  return undefined;
}

/** The proxy URL with its password masked (`http://user:***@host:8080`), safe to show. */
export function maskProxy(value: string): string {
  try {
    const url = new URL(value);
    const user = url.username ? `${url.username}${url.password ? ":***" : ""}@` : "";
    return `${url.protocol}//${user}${url.host}`;
  } catch {
    return "(invalid proxy URL)";
  }
}

/** Deno's proxy option: the URL without credentials, which go as `basicAuth`. */
export function proxyOption(value: string): Deno.Proxy {
  const url = new URL(value);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  const bare = `${url.protocol}//${url.host}`;
  return username || password ? { url: bare, basicAuth: { username, password } } : { url: bare };
}

/** The egress clients of every proxy in use, created on first use. */
export class ProxyClients {
  readonly #clients = new Map<string, EgressClients>();

  /** The clients for `proxy`, or `undefined` for an account without one (direct). */
  for(proxy: string | undefined): EgressClients | undefined {
    if (proxy === undefined) return undefined;
    let clients = this.#clients.get(proxy);
    if (!clients) {
      const option = proxyOption(proxy);
      clients = {
        pooled: Deno.createHttpClient({ proxy: option }),
        fresh: Deno.createHttpClient({ proxy: option, poolMaxIdlePerHost: 0 }),
      };
      this.#clients.set(proxy, clients);
    }
    return clients;
  }

  /** Closes the clients of every proxy not in `inUse`. */
  retain(inUse: Iterable<string | undefined>): void {
    const keep = new Set(inUse);
    for (const [proxy, clients] of this.#clients) {
      if (keep.has(proxy)) continue;
      this.#clients.delete(proxy);
      clients.pooled.close();
      clients.fresh.close();
    }
  }

  /** How many proxies have clients open (tests). */
  get size(): number {
    return this.#clients.size;
  }

  /** Closes every client (gateway shutdown). */
  close(): void {
    this.retain([]);
  }
}

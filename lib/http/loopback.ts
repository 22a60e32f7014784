/**
 * Loopback addresses: where `SWITCHYARD_ADMIN=loopback` lets the admin API
 * and the dashboard answer, and which listening hosts need no warning about
 * an admin token sent in plain HTTP.
 *
 * @module
 */

/** Is `host` (an IP address or `localhost`, as a peer or a listening host) a loopback address? */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
  const v4 = bare.startsWith("::ffff:") ? bare.slice("::ffff:".length) : bare;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The peer's IP address from `Deno.serve`'s handler info; `undefined` for a Unix socket or none. */
export function peerAddress(info: { remoteAddr?: Deno.Addr } | undefined): string | undefined {
  const addr = info?.remoteAddr;
  return addr && (addr.transport === "tcp" || addr.transport === "udp") ? addr.hostname : undefined;
}

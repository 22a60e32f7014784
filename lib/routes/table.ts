/**
 * The route table's matcher. A route's path is exact (`/healthz`), has
 * parameters (`/admin/keys/:id`, one segment each, empty allowed, not yet
 * decoded), or ends in `/*` for everything below it (`/v1/*`, not `/v1`
 * itself). The first route that matches answers; the table in `routes.ts`
 * lists them in order.
 *
 * @module
 */

/** The raw (still percent-encoded) path parameters of a match. */
export type Params = Readonly<Record<string, string>>;

/** Where a request came from, when the server said (`Deno.serve`'s handler info). */
export interface Client {
  /** The peer's IP address. */
  address?: string;
}

/** One route. */
export interface Route {
  path: string;
  handle(
    request: Request,
    url: URL,
    params: Params,
    client: Client,
  ): Promise<Response> | Response;
}

/** The first route matching `pathname`, with its parameters. */
export function matchRoute(
  routes: readonly Route[],
  pathname: string,
): { route: Route; params: Params } | undefined {
  for (const route of routes) {
    const params = match(route.path, pathname);
    if (params) return { route, params };
  }
  return undefined;
}

function match(pattern: string, pathname: string): Params | undefined {
  if (pattern.endsWith("/*")) {
    return pathname.startsWith(pattern.slice(0, -1)) ? {} : undefined;
  }
  if (!pattern.includes(":")) return pattern === pathname ? {} : undefined;
  const want = pattern.split("/");
  const have = pathname.split("/");
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    if (part.startsWith(":")) params[part.slice(1)] = have[index];
    else if (part !== have[index]) return undefined;
  }
  return params;
}

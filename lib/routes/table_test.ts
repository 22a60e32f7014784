/** The route matcher: exact paths, parameters, subtrees, first match wins. */

import assert from "node:assert/strict";
import { matchRoute, type Route } from "./table.ts";

const route = (path: string): Route => ({ path, handle: () => new Response(path) });
const ROUTES = [
  route("/healthz"),
  route("/v1/*"),
  route("/admin/keys"),
  route("/admin/keys/:id"),
  route("/admin/accounts/:id/reset"),
  route("/admin/*"),
];

Deno.test("the first route that matches answers, with its raw parameters", () => {
  const rows: [string, string | undefined, Record<string, string>?][] = [
    ["/healthz", "/healthz", {}],
    ["/healthz/", undefined],
    ["/v1/chat/completions", "/v1/*", {}],
    ["/v1", undefined],
    ["/admin/keys", "/admin/keys", {}],
    ["/admin/keys/alice", "/admin/keys/:id", { id: "alice" }],
    ["/admin/keys/", "/admin/keys/:id", { id: "" }],
    ["/admin/keys/%ZZ", "/admin/keys/:id", { id: "%ZZ" }],
    ["/admin/keys/a/b", "/admin/*", {}],
    ["/admin/accounts/a%2Fb/reset", "/admin/accounts/:id/reset", { id: "a%2Fb" }],
    ["/admin", undefined],
    ["/metrics", undefined],
  ];
  for (const [path, pattern, params] of rows) {
    const found = matchRoute(ROUTES, path);
    assert.equal(found?.route.path, pattern, path);
    if (params) assert.deepEqual(found?.params, params, path);
  }
});

import assert from "node:assert/strict";
import { maskProxy, ProxyClients, proxyOption, proxyProblem } from "./proxy_clients.ts";

Deno.test("proxyProblem accepts http, https and socks5 proxies and refuses the rest", () => {
  const cases: [string, boolean][] = [
    ["http://user:pass@127.0.0.1:8080", true],
    ["https://proxy.example.com:443", true],
    ["socks5://127.0.0.1:1080", true],
    ["socks5h://u:p@proxy.example.com:1080", true],
    ["ftp://127.0.0.1:21", false],
    ["127.0.0.1:8080", false],
    ["http://127.0.0.1:8080/path", false],
    ["http://127.0.0.1:8080?x=1", false],
    ["not a url", false],
  ];
  for (const [value, ok] of cases) assert.equal(proxyProblem(value) === undefined, ok, value);
});

Deno.test("maskProxy hides the password and keeps scheme, user and host", () => {
  assert.equal(maskProxy("http://user:pass@127.0.0.1:8080"), "http://user:***@127.0.0.1:8080");
  assert.equal(maskProxy("socks5://127.0.0.1:1080"), "socks5://127.0.0.1:1080");
  assert.equal(
    maskProxy("https://only-user@proxy.example.com"),
    "https://only-user@proxy.example.com",
  );
  assert.equal(maskProxy("::"), "(invalid proxy URL)");
});

Deno.test("proxyOption moves the credentials into basicAuth, decoded", () => {
  assert.deepEqual(proxyOption("http://us%40er:p%3Ass@127.0.0.1:8080"), {
    url: "http://127.0.0.1:8080",
    basicAuth: { username: "us@er", password: "p:ss" },
  });
  assert.deepEqual(proxyOption("socks5://127.0.0.1:1080"), { url: "socks5://127.0.0.1:1080" });
});

Deno.test("ProxyClients: one pair per proxy, reused; unused ones closed", () => {
  const clients = new ProxyClients();
  assert.equal(clients.for(undefined), undefined);
  const a = clients.for("http://127.0.0.1:8080")!;
  assert.equal(clients.for("http://127.0.0.1:8080"), a, "reused");
  assert.notEqual(a.pooled, a.fresh);
  clients.for("socks5://127.0.0.1:1080");
  assert.equal(clients.size, 2);
  clients.retain(["socks5://127.0.0.1:1080", undefined]);
  assert.equal(clients.size, 1);
  assert.notEqual(clients.for("http://127.0.0.1:8080"), a, "a closed proxy gets new clients");
  clients.close();
  assert.equal(clients.size, 0);
});

/**
 * The exposition text, line by line, for every kind of metric.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Registry } from "./prometheus.ts";

Deno.test("counters, gauges and histograms are written in the text format", () => {
  const registry = new Registry();
  const requests = registry.counter("t_requests_total", "Requests.\nBy status.", ["status"]);
  const state = registry.gauge("t_state", "State.", ["account", "state"]);
  const latency = registry.histogram("t_latency_seconds", "Latency.", ["route"], [0.1, 1]);
  requests.inc({ status: "200" });
  requests.inc({ status: "200" }, 2);
  requests.inc({ status: "500" });
  state.set({ account: 'a"b\\c\nd', state: "cooldown" }, 1);
  latency.observe({ route: "/v1" }, 0.05);
  latency.observe({ route: "/v1" }, 0.5);
  latency.observe({ route: "/v1" }, 5);
  assert.equal(
    registry.text(),
    [
      "# HELP t_requests_total Requests.\\nBy status.",
      "# TYPE t_requests_total counter",
      't_requests_total{status="200"} 3',
      't_requests_total{status="500"} 1',
      "",
      "# HELP t_state State.",
      "# TYPE t_state gauge",
      't_state{account="a\\"b\\\\c\\nd",state="cooldown"} 1',
      "",
      "# HELP t_latency_seconds Latency.",
      "# TYPE t_latency_seconds histogram",
      't_latency_seconds_bucket{route="/v1",le="0.1"} 1',
      't_latency_seconds_bucket{route="/v1",le="1"} 2',
      't_latency_seconds_bucket{route="/v1",le="+Inf"} 3',
      't_latency_seconds_sum{route="/v1"} 5.55',
      't_latency_seconds_count{route="/v1"} 3',
      "",
    ].join("\n"),
  );
});

Deno.test("a family with no series has its help and type only; reset empties it", () => {
  const registry = new Registry();
  const gauge = registry.gauge("t_g", "G.", ["a"]);
  gauge.set({ a: "x" }, 2);
  gauge.reset();
  assert.equal(registry.text(), "# HELP t_g G.\n# TYPE t_g gauge\n");
});

Deno.test("series are told apart by every label value, whatever they contain", () => {
  const registry = new Registry();
  const counter = registry.counter("t_c", "C.", ["a", "b"]);
  counter.inc({ a: "x", b: "y z" });
  counter.inc({ a: "x y", b: "z" });
  assert.match(registry.text(), /t_c\{a="x",b="y z"\} 1\nt_c\{a="x y",b="z"\} 1/);
  assert.throws(() => counter.inc({ a: "x", b: "y" }, -1), RangeError);
});

/**
 * Prometheus metrics, in a registry per gateway (so tests can run several
 * gateways in one process; `prometheus.ts` writes the text format). Request counters and
 * histograms are updated in memory as requests finish; account state gauges
 * are filled from shared KV state at scrape time.
 *
 * @module
 */

import {
  type Counter,
  type Gauge,
  type Histogram,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from "./prometheus.ts";

/** Account health as the admin API reports it. */
export interface AccountStateRow {
  id: string;
  platform: string;
  state: "active" | "cooldown" | "disabled";
  strikes: number;
  until?: string;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const STATES = ["active", "cooldown", "disabled"] as const;

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly #registry = new Registry();
  readonly requests: Counter<"surface" | "status" | "outcome"> = this.#registry.counter(
    "switchyard_requests_total",
    "API requests by client surface, final status and outcome.",
    ["surface", "status", "outcome"],
  );
  readonly websocketTurns: Counter<"status" | "outcome"> = this.#registry.counter(
    "switchyard_websocket_turns_total",
    "Responses WebSocket turns (each also counted in switchyard_requests_total), by status and outcome.",
    ["status", "outcome"],
  );
  readonly failovers: Counter<"reason"> = this.#registry.counter(
    "switchyard_failovers_total",
    "Upstream attempts that failed over to another account, by reason.",
    ["reason"],
  );
  readonly staleRetries: Counter<"account"> = this.#registry.counter(
    "switchyard_upstream_stale_connection_retries_total",
    "Attempts sent again on a fresh connection after a pooled one closed before any response byte.",
    ["account"],
  );
  readonly tokens: Counter<"key" | "type"> = this.#registry.counter(
    "switchyard_tokens_total",
    "Tokens used, by client key and type (input, output, cached).",
    ["key", "type"],
  );
  readonly cost: Counter<"key" | "account" | "model"> = this.#registry.counter(
    "switchyard_cost_usd_total",
    "API-equivalent cost in USD by client key, account and priced model; unpriced ones not counted.",
    ["key", "account", "model"],
  );
  readonly unpriced: Counter<"model"> = this.#registry.counter(
    "switchyard_unpriced_requests_total",
    "Requests recorded at cost 0 because their model has no price (first 100 names, then other).",
    ["model"],
  );
  readonly budgetAlerts: Counter<"scope" | "id" | "per"> = this.#registry.counter(
    "switchyard_budget_alerts_total",
    "Budgets that crossed their alertAt fraction, by scope (key, group), id and window.",
    ["scope", "id", "per"],
  );
  readonly ttfb: Histogram<"surface"> = this.#registry.histogram(
    "switchyard_time_to_first_byte_seconds",
    "Time from request arrival to the first body byte sent to the client.",
    ["surface"],
    LATENCY_BUCKETS,
  );
  readonly upstreamLatency: Histogram<"account"> = this.#registry.histogram(
    "switchyard_upstream_latency_seconds",
    "Time for an upstream attempt to answer with headers (or fail), per account.",
    ["account"],
    LATENCY_BUCKETS,
  );
  readonly accountTests: Counter<"account" | "source" | "result"> = this.#registry.counter(
    "switchyard_account_tests_total",
    "Account tests (admin or scheduled health checks), by account, source and result (pass, fail).",
    ["account", "source", "result"],
  );
  readonly #accountState: Gauge<"account" | "platform" | "state"> = this.#registry.gauge(
    "switchyard_account_state",
    "1 for the state each account is in (active, cooldown, disabled), else 0.",
    ["account", "platform", "state"],
  );
  readonly #strikes: Gauge<"account"> = this.#registry.gauge(
    "switchyard_account_strikes",
    "Consecutive 403 strikes per account.",
    ["account"],
  );
  readonly #cooldown: Gauge<"account"> = this.#registry.gauge(
    "switchyard_account_cooldown_seconds",
    "Seconds until a cooling account returns; 0 when it is not cooling.",
    ["account"],
  );

  /** The exposition text, with account gauges set from `accounts`. */
  render(accounts: readonly AccountStateRow[], now = Date.now()): string {
    this.#accountState.reset();
    this.#strikes.reset();
    this.#cooldown.reset();
    for (const account of accounts) {
      for (const state of STATES) {
        this.#accountState.set(
          { account: account.id, platform: account.platform, state },
          state === account.state ? 1 : 0,
        );
      }
      this.#strikes.set({ account: account.id }, account.strikes);
      const until = account.state === "cooldown" && account.until ? Date.parse(account.until) : now;
      this.#cooldown.set({ account: account.id }, Math.max(0, (until - now) / 1000));
    }
    return this.#registry.text();
  }

  /** The exposition content type. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }
}

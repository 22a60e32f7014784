/**
 * Prometheus metrics, kept with `prom-client` in a registry per gateway (so
 * tests can run several gateways in one process). Request counters and
 * histograms are updated in memory as requests finish; account state gauges
 * are filled from shared KV state at scrape time.
 *
 * @module
 */

import { Counter, Gauge, Histogram, Registry } from "prom-client";

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
  readonly registry = new Registry();
  readonly requests: Counter<"surface" | "status" | "outcome">;
  readonly failovers: Counter<"reason">;
  readonly tokens: Counter<"key" | "type">;
  readonly ttfb: Histogram<"surface">;
  readonly upstreamLatency: Histogram<"account">;
  readonly #accountState: Gauge<"account" | "platform" | "state">;
  readonly #strikes: Gauge<"account">;
  readonly #cooldown: Gauge<"account">;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "switchyard_requests_total",
      help: "API requests by client surface, final status and outcome.",
      labelNames: ["surface", "status", "outcome"],
      registers,
    });
    this.failovers = new Counter({
      name: "switchyard_failovers_total",
      help: "Upstream attempts that failed over to another account, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.tokens = new Counter({
      name: "switchyard_tokens_total",
      help: "Tokens used, by client key and type (input, output, cached).",
      labelNames: ["key", "type"],
      registers,
    });
    this.ttfb = new Histogram({
      name: "switchyard_time_to_first_byte_seconds",
      help: "Time from request arrival to the first body byte sent to the client.",
      labelNames: ["surface"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamLatency = new Histogram({
      name: "switchyard_upstream_latency_seconds",
      help: "Time for an upstream attempt to answer with headers (or fail), per account.",
      labelNames: ["account"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#accountState = new Gauge({
      name: "switchyard_account_state",
      help: "1 for the state each account is in (active, cooldown, disabled), else 0.",
      labelNames: ["account", "platform", "state"],
      registers,
    });
    this.#strikes = new Gauge({
      name: "switchyard_account_strikes",
      help: "Consecutive 403 strikes per account.",
      labelNames: ["account"],
      registers,
    });
    this.#cooldown = new Gauge({
      name: "switchyard_account_cooldown_seconds",
      help: "Seconds until a cooling account returns; 0 when it is not cooling.",
      labelNames: ["account"],
      registers,
    });
  }

  /** The exposition text, with account gauges set from `accounts`. */
  async render(accounts: readonly AccountStateRow[], now = Date.now()): Promise<string> {
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
    return await this.registry.metrics();
  }

  /** The exposition content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

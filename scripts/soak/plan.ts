/**
 * The soak's setup, drawn from the seed: accounts (each faulty one with a
 * random fault profile, one healthy account per group and platform), groups,
 * client keys with their limits, the gateway config, and the secrets that
 * must never show up anywhere. Pure: the same seed gives the same plan.
 *
 * @module
 */

import {
  type CooldownSeconds,
  drawProfile,
  type FaultProfile,
  PASSTHROUGH_FAULTS,
  STANDARD_FAULTS,
  type Surface,
} from "./faults.ts";
import { budgetKey, moneyConfig, SOAK_PRICING } from "./money.ts";
import { type Rng, rngFor } from "./rng.ts";

/** One upstream account of the soak. */
export interface SoakAccount {
  id: string;
  platform: "openai" | "anthropic";
  passthrough: boolean;
  /** `null` for the accounts that never fail. */
  profile: FaultProfile | null;
  /**
   * Never fails: no fault, and no silent close of an idle kept-alive connection either
   * (a close that races the gateway's next request looks to it like a dead upstream).
   */
  healthy: boolean;
  apiKey: string;
  priority: number;
}

/** One client key. */
export interface SoakKey {
  id: string;
  key: string;
  group: string;
  /** Share of the general load (0 for keys driven by lanes of their own). */
  weight: number;
  rpm?: number;
  dailyTokens?: number;
  concurrency?: number;
  /** Kept off the gateway that is killed (its unflushed usage would be lost). */
  avoidKilled?: boolean;
  /** A daily budget in USD (`money.ts`). */
  budgetUsd?: number;
}

/** A group and the APIs its keys call. */
export interface SoakGroup {
  id: string;
  accounts: string[];
  surfaces: Surface[];
}

/** Everything a run is built from. */
export interface SoakPlan {
  seed: number;
  seconds: number;
  gateways: number;
  /** Concurrent requests of the general load. */
  lanes: number;
  /** Concurrent streaming requests on the key with `concurrency: 1`. */
  queueLanes: number;
  /**
   * Responses WebSocket sessions (`sockets.ts`): how many run at once, and the keys they
   * use (groups that serve Responses), with their shares.
   */
  sockets: { lanes: number; keys: [string, number][] };
  accounts: SoakAccount[];
  groups: SoakGroup[];
  keys: SoakKey[];
  adminToken: string;
  failover: {
    maxSwitches: number;
    headersTimeoutSeconds: number;
    preambleHoldSeconds: number;
    forbiddenStrikes: number;
    cooldownSeconds: CooldownSeconds;
  };
  /** Which gateway is killed with SIGKILL, when (ms after the load starts), and for how long. */
  kill: { gateway: number; atMs: number; downMs: number };
  /** How long after the limit was crossed (flush interval plus slack) `dailyTokens` must refuse. */
  usageFlushSlackMs: number;
  /**
   * Usage of requests the killed gateway finished this long before the kill may be lost
   * (its last flush interval, 1 s, plus 1 s for a commit under way).
   */
  killUsageWindowMs: number;
  /** Faults of the KV (only when the soak runs its own KV Connect test server). */
  kv?: KvFaultPlan;
}

/** KV faults, ms after the load starts: 503s, then an expired token, then an outage. */
export interface KvFaultPlan {
  /** Every KV request answered 503 for `ms`. */
  burst503?: { atMs: number; ms: number };
  /** The server forgets its data-path tokens: each client redoes the metadata exchange. */
  expireTokenAtMs?: number;
  /** Every KV connection dropped for `ms`. */
  outage?: { atMs: number; ms: number };
}

/**
 * The KV faults of a run of `seconds`, drawn from the seed apart from the rest of the
 * plan (a file run of the same seed gets the same accounts, keys and kill): the 503s
 * early, before the kill (at 40 %), and the outage late (65-70 %), after the killed
 * gateway is back up, so each effect is told apart.
 */
export function kvFaultPlan(seed: number, seconds: number, outageMs: number): KvFaultPlan {
  const rng = rngFor(seed, "kv-faults");
  const ms = seconds * 1000;
  const burstAt = rng.int(Math.round(ms * 0.1), Math.round(ms * 0.2));
  return {
    burst503: { atMs: burstAt, ms: 1500 },
    expireTokenAtMs: burstAt + 1500 + rng.int(500, 1500),
    ...(outageMs > 0
      ? { outage: { atMs: rng.int(Math.round(ms * 0.65), Math.round(ms * 0.7)), ms: outageMs } }
      : {}),
  };
}

/** Builds the plan for a seed. */
export function makePlan(
  seed: number,
  seconds: number,
  gateways: number,
  kv?: KvFaultPlan,
): SoakPlan {
  const rng = rngFor(seed, "plan");
  const secret = (what: string) => `${what}-SOAKSECRET-${token(rng)}`;
  const accounts: SoakAccount[] = [];
  const add = (
    id: string,
    platform: SoakAccount["platform"],
    kind: "std" | "pass" | "ok" | "slow",
  ) => {
    const healthy = kind === "ok" || kind === "slow";
    accounts.push({
      id,
      platform,
      passthrough: kind === "pass",
      healthy,
      profile: kind === "slow"
        ? { failRate: 1, weights: [["slow", 1]] } // never fails, always takes its time
        : healthy
        ? null
        : drawProfile(
          rngFor(seed, "profile", id),
          kind === "pass" ? PASSTHROUGH_FAULTS : STANDARD_FAULTS,
        ),
      apiKey: secret(platform === "openai" ? "sk" : "sk-ant"),
      // The healthy account goes last or shares the last rank, so the faulty ones are tried.
      priority: healthy ? rng.int(2, 3) : rng.int(1, 2),
    });
  };
  const roster: [string, SoakAccount["platform"], "std" | "pass" | "ok" | "slow"][] = [
    ["oa-1", "openai", "std"],
    ["oa-2", "openai", "std"],
    ["px-1", "openai", "pass"],
    ["ok-oa", "openai", "ok"],
    ["an-1", "anthropic", "std"],
    ["an-2", "anthropic", "std"],
    ["ok-an", "anthropic", "ok"],
    ["oa-3", "openai", "std"],
    ["px-2", "openai", "pass"],
    ["an-3", "anthropic", "std"],
    ["ok-mix-oa", "openai", "ok"],
    ["ok-mix-an", "anthropic", "ok"],
    ["slow-oa", "openai", "slow"],
  ];
  for (const [id, platform, kind] of roster) add(id, platform, kind);

  const groups: SoakGroup[] = [
    {
      id: "g-openai",
      accounts: ["oa-1", "oa-2", "px-1", "ok-oa"],
      surfaces: ["chat", "responses"],
    },
    { id: "g-anthropic", accounts: ["an-1", "an-2", "ok-an"], surfaces: ["messages"] },
    {
      id: "g-mixed",
      accounts: ["oa-3", "px-2", "an-3", "ok-mix-oa", "ok-mix-an"],
      surfaces: ["chat", "responses", "messages"],
    },
    // The key with `concurrency: 1` waits here: slow streams make queued requests wait past
    // the 5 s after which a streaming request gets the gateway's own queued event stream.
    { id: "g-queue", accounts: ["slow-oa"], surfaces: ["chat", "responses"] },
  ];
  const keys: SoakKey[] = [
    { id: "k-oa", key: secret("sy"), group: "g-openai", weight: 30 },
    { id: "k-an", key: secret("sy"), group: "g-anthropic", weight: 22 },
    { id: "k-mix", key: secret("sy"), group: "g-mixed", weight: 28 },
    { id: "k-rpm", key: secret("sy"), group: "g-mixed", weight: 10, rpm: 30 },
    {
      id: "k-daily",
      key: secret("sy"),
      group: "g-anthropic",
      weight: 10,
      dailyTokens: 150 * seconds,
      avoidKilled: true,
    },
    {
      id: "k-queue",
      key: secret("sy"),
      group: "g-queue",
      weight: 0,
      concurrency: 1,
      // A killed process's slot lease lives on for 60 s and would stall this key's queue.
      avoidKilled: true,
    },
    budgetKey(secret("sy"), seconds),
  ];
  return {
    seed,
    seconds,
    gateways,
    lanes: 22,
    queueLanes: 4,
    sockets: { lanes: 4, keys: [["k-oa", 4], ["k-mix", 4], ["k-rpm", 1]] },
    accounts,
    groups,
    keys,
    adminToken: secret("admin"),
    failover: {
      maxSwitches: 8,
      headersTimeoutSeconds: 4,
      preambleHoldSeconds: 5,
      forbiddenStrikes: 3,
      cooldownSeconds: {
        forbidden: 6,
        rateLimited: 3,
        overloaded: 2,
        serverError: 2,
        unreachable: 2,
      },
    },
    kill: { gateway: gateways - 1, atMs: Math.round(seconds * 400), downMs: 2000 },
    usageFlushSlackMs: 2500,
    killUsageWindowMs: 2000,
    ...(kv ? { kv } : {}),
  };
}

/** The gateway config for the plan, with each account's upstream port. */
export function gatewayConfig(plan: SoakPlan, ports: Record<string, number>): unknown {
  return {
    failover: plan.failover,
    queueTimeoutSeconds: 30,
    pricing: SOAK_PRICING,
    accounts: plan.accounts.map((account) => ({
      id: account.id,
      platform: account.platform,
      passthrough: account.passthrough,
      baseUrl: `http://127.0.0.1:${ports[account.id]}/${account.id}/v1`,
      apiKey: account.apiKey,
      priority: account.priority,
    })),
    groups: plan.groups.map(({ id, accounts }) => ({ id, accounts })),
    keys: plan.keys.map((soakKey) => {
      const { id, key, group, rpm, dailyTokens, concurrency } = soakKey;
      return {
        id,
        key,
        group,
        ...(rpm !== undefined ? { rpm } : {}),
        ...(dailyTokens !== undefined ? { dailyTokens } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...moneyConfig(soakKey),
      };
    }),
  };
}

/** Every secret of the plan: none may appear in a log line or a response. */
export function secretsOf(plan: SoakPlan): string[] {
  return [
    plan.adminToken,
    ...plan.accounts.map((account) => account.apiKey),
    ...plan.keys.map((key) => key.key),
  ];
}

/** The platform that serves a surface. */
export function platformOf(surface: Surface): "openai" | "anthropic" {
  return surface === "messages" ? "anthropic" : "openai";
}

/** The surface of an upstream or gateway path. */
export function surfaceOf(path: string): Surface | undefined {
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages")) return "messages";
  return undefined;
}

function token(rng: Rng): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  return Array.from({ length: 24 }, () => rng.pick([...alphabet])).join("");
}

/**
 * The gateway's configuration model: accounts, groups, client keys and the
 * failover policy. Everything the rest of the gateway knows about its setup
 * comes from these types, produced by {@linkcode validateConfig}.
 *
 * @module
 */

import type { AlertSettings } from "./alerts.ts";

/**
 * The two API families: OpenAI-compatible and Anthropic. An account speaks
 * one (its {@linkcode Platform}); a client speaks one (its surface, which
 * decides the error shape, `lib/http/errors.ts`).
 */
export type ApiFamily = "openai" | "anthropic";

/** Upstream API family an account speaks. */
export type Platform = ApiFamily;

/** Every {@linkcode Platform}, for validation. */
export const PLATFORMS: readonly Platform[] = ["openai", "anthropic"];

/** Cooldown durations, in seconds, per kind of upstream failure. */
export interface CooldownSeconds {
  forbidden: number;
  rateLimited: number;
  overloaded: number;
  serverError: number;
  unreachable: number;
}

/** When and how a request moves to the next account. */
export interface FailoverPolicy {
  /** How many times one request may move on; at most `1 + maxSwitches` accounts are tried. */
  maxSwitches: number;
  /** How long to wait for an upstream's response headers before failing over. */
  headersTimeoutSeconds: number;
  /** Consecutive 403s (without reset information) that disable an account. */
  forbiddenStrikes: number;
  cooldownSeconds: CooldownSeconds;
  /** Statuses that fail over for passthrough accounts. */
  passthroughStatuses: number[];
  /** Statuses that fail over for standard accounts. */
  standardStatuses: number[];
  /** How long a 200 SSE stream's preamble events may be held back waiting for content (default 10). */
  preambleHoldSeconds?: number;
  /**
   * Wait before a disabled account with a temporary reason gets a half-open
   * probe, doubled after each failed probe up to a day; 0 turns probes off (default 300).
   */
  probeSeconds?: number;
}

/** An upstream account in the pool. */
export interface Account {
  id: string;
  platform: Platform;
  /** Passthrough accounts get the request body byte for byte and their own status list. */
  passthrough: boolean;
  /** Upstream base URL without a trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** The upstream credential. Never logged, never returned. */
  apiKey: string;
  /** Lower is tried first. */
  priority: number;
  /** Present for OAuth (subscription) accounts; `apiKey` then holds the config's access token. */
  oauth?: OAuthSettings;
  /** Most requests in flight on this account, across all processes. */
  concurrency?: number;
  /** The model names it serves, or client name to upstream name (`lib/config/models.ts`); any when absent. */
  models?: string[] | Record<string, string>;
  /** OpenAI API keys: the organization and project sent as `OpenAI-Organization` / `OpenAI-Project`. */
  organization?: string;
  project?: string;
  /** Plan it after the others while a quota window is above this percent (overrides the group's). */
  avoidAbovePercent?: number;
  /**
   * Egress proxy for its upstream requests and OAuth refreshes: `http://`,
   * `https://` or `socks5://`, credentials optional (`lib/http/proxy_clients.ts`).
   * A secret: shown only masked, never logged.
   */
  proxy?: string;
  /** Scheduled tests of this account (over its groups' setting). */
  healthChecks?: HealthChecks;
}

/** Scheduled account tests (`lib/failover/check_schedule.ts`). */
export interface HealthChecks {
  /** One test per account per this many seconds, across all processes. */
  everySeconds: number;
  /** The upstream model to test with; the account's default otherwise. */
  model?: string;
  /** A pass puts a cooling or disabled account back in service (default true). */
  recover?: boolean;
}

/** An OAuth account's tokens and token endpoint (see `lib/accounts/oauth/`). */
export interface OAuthSettings {
  /** Access token from the config; empty when the tokens live only in KV (imported). */
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires; 0 when unknown. */
  expiresAt: number;
  /** ChatGPT account id (`chatgpt-account-id` header) for Codex accounts. */
  accountId?: string;
  /** Token endpoint; defaults to the public Codex / Claude Code one. */
  tokenUrl: string;
  /** OAuth client id; defaults to the public Codex / Claude Code one. */
  clientId: string;
}

/**
 * The order among a group's accounts of equal priority: least recently used
 * first (spreads load), or the soonest quota reset first (uses a window
 * before it resets; `lib/planning/planner.ts`).
 */
export type GroupOrder = "least-recently-used" | "resets-first";

/** Every {@linkcode GroupOrder}, for validation. */
export const GROUP_ORDERS: readonly GroupOrder[] = ["least-recently-used", "resets-first"];

/** A named set of accounts that client keys are bound to. */
export interface Group {
  id: string;
  accounts: string[];
  /** Plan accounts whose recorded quota use is above this percent after the others. */
  avoidAbovePercent?: number;
  /** How accounts of equal priority are ordered (default `least-recently-used`). */
  order?: GroupOrder;
  /**
   * Paths forwarded besides the inference endpoints, for every method: exact
   * (`/v1/files`) or a subtree (`/v1/files/*`). See `lib/protocols/inference_paths.ts`.
   */
  allowPaths?: string[];
  /**
   * Whether accounts that speak another client API may serve a request through
   * translation (default true); `false` keeps every request on native accounts.
   */
  translate?: boolean;
  /** Model aliases for everyone in the group: client name to the name accounts see. */
  models?: Record<string, string>;
  /** The model names (patterns) the group's keys may ask for; any when absent. */
  allowModels?: string[];
  /** Scheduled tests of the group's accounts (an account's own setting wins). */
  healthChecks?: HealthChecks;
  /** Spending caps for all the group's keys together (`lib/usage/budgets.ts`). */
  budgets?: Budget[];
}

/** A client key handed to a person or a service. */
export interface ClientKey {
  id: string;
  /** The secret itself. Compared by hash, never logged. */
  key: string;
  group: string;
  /** Most requests in flight for this key, across all processes. */
  concurrency?: number;
  /** Requests per minute across processes (optional). */
  rpm?: number;
  /** Input plus output tokens per UTC day across processes (optional). */
  dailyTokens?: number;
  /** The model names (patterns) this key may ask for; any when absent. */
  allowModels?: string[];
  /** Spending caps in USD (`lib/usage/budgets.ts`). */
  budgets?: Budget[];
}

/** A budget's window: a UTC calendar day, week (from Monday) or month, or the last 5 hours. */
export type BudgetWindow = "day" | "week" | "month" | "5h";

/** Every {@linkcode BudgetWindow}, for validation. */
export const BUDGET_WINDOWS: readonly BudgetWindow[] = ["day", "week", "month", "5h"];

/** A spending cap: requests are refused once `usd` is spent in the window. */
export interface Budget {
  usd: number;
  per: BudgetWindow;
  /** Fraction of `usd` at which the spend is flagged (log, metric, console). */
  alertAt?: number;
}

/** A model's price in USD per 1M tokens (see `lib/usage/prices.ts` for the defaults). */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cache reads; `input` when absent. */
  cachedInput?: number;
  /** Cache writes (Anthropic's 5-minute writes); `input` when absent. */
  cacheWrite?: number;
  /** Anthropic's 1-hour cache writes; `cacheWrite` when absent. */
  cacheWrite1h?: number;
  /** Reasoning (thinking) tokens, part of the output count; `output` when absent. */
  reasoning?: number;
}

/** What an error rule does when it matches (see {@linkcode ErrorRule}). */
export type ErrorRuleAction = "failover" | "cooldown" | "disable" | "passback";

/**
 * An operator's rule for upstream errors the built-in table does not know,
 * checked before it: the first rule that matches an error decides.
 */
export interface ErrorRule {
  /** A name for logs and the dashboard; rules without one are called `errorRules[i]`. */
  id?: string;
  /** HTTP statuses it applies to (an error event inside a 200 stream has 200); any when absent. */
  status?: number[];
  /** Case-insensitive regular expression over the error body (at most 64 KiB) or event data. */
  match?: string;
  action: ErrorRuleAction;
  /** How long the account cools (`failover`: optional, `cooldown`: required). */
  cooldownSeconds?: number;
  /** Only for accounts of these platforms. */
  platforms?: Platform[];
  /** Only for these account ids. */
  accounts?: string[];
  /** The status the client sees instead of the upstream's. */
  clientStatus?: number;
  /** The message the client sees instead of the upstream's body. */
  clientMessage?: string;
}

/** The validated configuration, with every default filled in. */
export interface Config {
  failover: FailoverPolicy;
  maxRequestBytes: number;
  accounts: Account[];
  groups: Group[];
  keys: ClientKey[];
  /** How long a request waits for a free concurrency slot (default 30). */
  queueTimeoutSeconds?: number;
  /** How long a request body may send nothing before it gets 408 (default 30). */
  bodyTimeoutSeconds?: number;
  /** Rules checked before the built-in failover table (the management API may replace them). */
  errorRules: ErrorRule[];
  /** Browser origins that may call `/v1/*` (CORS); none by default. */
  cors?: CorsSettings;
  /** Responses WebSocket limits; defaults in `defaults.ts`. */
  websocket?: WebSocketSettings;
  /** Webhooks told of account and group events (`lib/config/alerts.ts`). */
  alerts?: AlertSettings;
  /** Price overrides by model name or `*` pattern, over the shipped snapshot. */
  pricing?: Record<string, ModelPrice>;
}

/** Limits of the Responses WebSocket (`GET /v1/responses` upgraded), each optional. */
export interface WebSocketSettings {
  maxMessageBytes?: number;
  maxConnectionSeconds?: number;
  idleSeconds?: number;
  pingSeconds?: number;
}

/** Cross-origin access to the API for browser-based clients. */
export interface CorsSettings {
  /** Exact origins (`https://app.example.com`), or `"*"` for any. */
  origins: string[];
}

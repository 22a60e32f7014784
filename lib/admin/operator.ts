/**
 * Everything an operator gets on top of the core gateway, assembled in one
 * place so the gateway only calls a few hooks:
 * - the directory of keys, accounts and groups (config seed + KV);
 * - the error rules in force (config seed + KV);
 * - per-key limits, usage accounting, metrics, request logs, the failover log;
 * - `GET /metrics`, `GET /dashboard` and the management API routes.
 *
 * @module
 */

import { constantTimeEqual, presentedKey, sha256Hex } from "../auth/secrets.ts";
import type { Config } from "../config/types.ts";
import { LiveHub } from "../dashboard/live.ts";
import { DASHBOARD_HTML, dashboardPage } from "../dashboard/page.ts";
import { type DashboardSnapshot, dashboardSnapshot } from "../dashboard/snapshot.ts";
import { Directory, DIRECTORY_GENERATION_KEY } from "../directory/directory.ts";
import { ERROR_RULES_KEY, ErrorRuleStore } from "../directory/error_rules.ts";
import { SecretBox } from "../crypto/secret_box.ts";
import { errorResponse } from "../http/errors.ts";
import { GatewayMetrics } from "../metrics/metrics.ts";
import { FailoverLog } from "../observe/failover_log.ts";
import { MinuteSeries } from "../observe/minute_series.ts";
import { RequestObserver } from "../observe/request_observer.ts";
import type { RequestLogger } from "../observe/request_log.ts";
import type { AccountStateStore } from "../state/account_state.ts";
import { KeyLimits } from "../usage/limits.ts";
import { UsageRecorder } from "../usage/recorder.ts";
import type { QuotaBook } from "../quota/snapshots.ts";
import { accountRows, handleManagement } from "./management.ts";
import { type ConsoleContext, handleConsole } from "./console_routes.ts";
import { SignInFlows } from "../oauth/flows.ts";
import { TokenStore } from "../oauth/token_store.ts";

/** What the operator layer is built from. */
export interface OperatorOptions {
  config: Config;
  kv: Deno.Kv;
  states: AccountStateStore;
  log: RequestLogger;
  /** SHA-256 hex of the admin token; `undefined` while the admin API is off. */
  adminDigest?: () => Promise<string | undefined>;
  /** A token that may read `/metrics` only (`SWITCHYARD_METRICS_TOKEN`). */
  metricsToken?: string;
  /** Encrypts account secrets stored through the API (`SWITCHYARD_SECRET`). */
  secret?: string;
  /** How often usage batches are written to KV. */
  usageFlushMs?: number;
  /** How often open dashboards look for changes made by other processes. */
  livePollMs?: number;
  /** Quota snapshots of subscription accounts, shown with each account. */
  quotas?: QuotaBook;
}

/** The operator layer. */
export interface Operator {
  directory: Directory;
  errorRules: ErrorRuleStore;
  limits: KeyLimits;
  usage: UsageRecorder;
  metrics: GatewayMetrics;
  observer: RequestObserver;
  live: LiveHub;
  /** Answers `/metrics` and `/dashboard`; `null` for any other path. */
  route(request: Request, url: URL): Promise<Response> | null;
  /** Management routes under `/admin/`, after the admin token was checked. */
  admin(request: Request, url: URL): Promise<Response | null>;
  snapshot(): Promise<DashboardSnapshot>;
  /** Flushes usage and ends live streams. */
  close(): Promise<void>;
}

/** Builds the operator layer and hooks the directory into the state store's read. */
export async function createOperator(options: OperatorOptions): Promise<Operator> {
  const { kv, states } = options;
  const box = options.secret
    ? await SecretBox.fromSecret(options.secret, "account-secrets")
    : undefined;
  const tokenBox = options.secret
    ? await SecretBox.fromSecret(options.secret, "oauth-tokens")
    : undefined;
  const directory = await Directory.open({ kv, config: options.config, box });
  states.watch(DIRECTORY_GENERATION_KEY, () => directory.reload());
  const errorRules = await ErrorRuleStore.open(kv, options.config.errorRules);
  states.watch(ERROR_RULES_KEY, () => errorRules.reload());
  const usage = new UsageRecorder(kv, options.usageFlushMs);
  const limits = new KeyLimits(kv, usage);
  const metrics = new GatewayMetrics();
  const failovers = new FailoverLog(kv);
  const series = new MinuteSeries(kv);
  const rows = () => accountRows({ directory, states, quotas: options.quotas });
  const snapshot = () =>
    dashboardSnapshot({
      accounts: rows,
      keys: () => directory.keys(),
      groups: () => directory.groups(),
      usage,
      failovers,
      series,
    });
  const live = new LiveHub(snapshot, options.livePollMs);
  const observer = new RequestObserver({
    metrics,
    usage,
    failovers,
    live,
    series,
    log: options.log,
    isPassthrough: (id) => directory.account(id)?.account.passthrough ?? false,
  });
  const metricsDigest = options.metricsToken ? sha256Hex(options.metricsToken) : undefined;
  const consoleContext: ConsoleContext = {
    directory,
    states,
    live,
    signIn: tokenBox
      ? { flows: new SignInFlows(kv, tokenBox), tokens: new TokenStore(kv, tokenBox) }
      : undefined,
    accountRow: async (id) => (await rows()).find((row) => row.id === id),
  };

  async function serveMetrics(request: Request): Promise<Response> {
    const adminDigest = await options.adminDigest?.();
    const allowed = [adminDigest, metricsDigest].filter((d) => d !== undefined);
    if (allowed.length === 0) return errorResponse("openai", 404, "not found");
    const presented = presentedKey(request.headers);
    const digest = presented ? sha256Hex(presented) : "";
    if (!allowed.some((expected) => constantTimeEqual(digest, expected))) {
      return errorResponse("openai", 401, "invalid metrics token", {
        "www-authenticate": 'Bearer realm="switchyard"',
      });
    }
    const text = await metrics.render(await rows());
    return new Response(text, { headers: { "content-type": metrics.contentType } });
  }

  return {
    directory,
    errorRules,
    limits,
    usage,
    metrics,
    observer,
    live,
    snapshot,
    route(request, url) {
      if (url.pathname === "/metrics") return serveMetrics(request);
      if (url.pathname === "/dashboard" || url.pathname === "/dashboard/") {
        return (async () => {
          const adminOn = (await options.adminDigest?.()) !== undefined;
          return new Response(adminOn ? DASHBOARD_HTML : dashboardPage(false), {
            headers: {
              "content-type": "text/html; charset=utf-8",
              "cache-control": "no-store",
              "content-security-policy":
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
              "x-frame-options": "DENY",
              "referrer-policy": "no-referrer",
            },
          });
        })();
      }
      return null;
    },
    admin: async (request, url) =>
      await handleConsole(request, url, consoleContext) ?? await handleManagement(request, url, {
        directory,
        errorRules,
        states,
        usage,
        live,
        snapshot,
        quotas: options.quotas,
      }),
    async close() {
      await live.close();
      await usage.close();
      await series.close();
    },
  };
}

/**
 * The gateway: builds every store and stage from its options and answers
 * requests through the one route table (`lib/routes/routes.ts`); `/v1/*`
 * goes through the request pipeline (`lib/pipeline/api.ts`). Everything
 * stateful is injected, so tests build gateways on a temporary KV with no
 * globals, and the environment is read only by `lib/boot.ts`.
 *
 * @module
 */

import { Directory } from "./accounts/directory.ts";
import { AccountStateStore } from "./accounts/health.ts";
import { QuotaBook } from "./accounts/quota.ts";
import { ResponseOwners } from "./accounts/response_owners.ts";
import { ThinkingSigners } from "./accounts/thinking_signers.ts";
import { TrialLog } from "./accounts/trial_log.ts";
import { AccountChecks } from "./failover/account_checks.ts";
import { CheckSchedule } from "./failover/check_schedule.ts";
import { SessionBindings } from "./accounts/sessions.ts";
import { DEFAULT_PROBE_SECONDS } from "./config/defaults.ts";
import type { Config } from "./config/types.ts";
import { sha256Hex } from "./crypto/digest.ts";
import { SecretBox } from "./crypto/secret_box.ts";
import { ErrorRuleStore } from "./failover/rule_store.ts";
import { FileChangeSentinel } from "./kv/file_change_sentinel.ts";
import {
  DEFAULT_KV_DEADLINE_MS,
  kvLabel,
  KvReachability,
  KvUnreachable,
} from "./kv/reachability.ts";
import {
  ALERT_CONFIG_KEY,
  DIRECTORY_GENERATION_KEY,
  ERROR_RULES_KEY,
  GENERATION_KEY,
  PRICING_KEY,
  SIGN_IN_GENERATION_KEY,
} from "./kv/keys.ts";
import { Deliveries } from "./observe/alert_delivery.ts";
import { AccountAlerts } from "./observe/account_alerts.ts";
import { Alerts } from "./observe/alerts.ts";
import { corsPolicy } from "./http/cors.ts";
import { peerAddress } from "./http/loopback.ts";
import { ProxyClients } from "./http/proxy_clients.ts";
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from "./leases/queue.ts";
import { SlotLeases } from "./leases/slots.ts";
import { FailoverLog } from "./observe/failover_log.ts";
import { MinuteSeries } from "./observe/minute_series.ts";
import { LiveHub } from "./observe/live_hub.ts";
import { GatewayMetrics } from "./observe/metrics.ts";
import { type RequestLogger, requestLogger } from "./observe/request_log.ts";
import { handleApi, type Pipeline } from "./pipeline/api.ts";
import { failoverPorts } from "./pipeline/forward.ts";
import { Relay } from "./pipeline/relay.ts";
import { isResponsesSocket, ResponseSockets } from "./pipeline/socket/accept.ts";
import { DEFAULT_WEBSOCKET } from "./config/defaults.ts";
import { UsageClock } from "./planning/usage_clock.ts";
import { Credentials, type OAuthTuning } from "./providers/credentials.ts";
import { SignInFlows } from "./providers/oauth/flows.ts";
import { TokenStore } from "./providers/oauth/token_store.ts";
import type { AdminTokenStore } from "./routes/admin/admin_token.ts";
import { accountRows } from "./routes/admin/management.ts";
import { dashboardSnapshot } from "./routes/dashboard/snapshot.ts";
import { gatewayRoutes, routeTable } from "./routes/routes.ts";
import { KeyLimits } from "./usage/limits.ts";
import { openMoney } from "./usage/money.ts";
import { UsageRecorder } from "./usage/recorder.ts";
import { logFailure } from "./log.ts";

/** Timings the tests shorten. */
export interface Tuning extends OAuthTuning {
  /** How often a queued request looks for slots freed by other processes (default 200 ms). */
  queuePollMs?: number;
  /** Silence before a queued streaming request gets a keep-alive, and between them (default 5 s). */
  keepAliveMs?: number;
  /** How long a concurrency lease lives without renewal. */
  slotLeaseMs?: number;
  /** How often a process looks for due scheduled health checks (default 5 s). */
  healthCheckTickMs?: number;
  /** Waits between webhook delivery attempts (default 1 s, 5 s, 30 s). */
  alertRetryDelaysMs?: number[];
  /** How long one webhook delivery attempt may take (default 10 s). */
  alertAttemptTimeoutMs?: number;
  /** The clock budgets and their spend windows read (default `Date.now`). */
  now?: () => number;
  /** How long a call to a remote KV may take before the store counts as unreachable (default 2 s). */
  kvDeadlineMs?: number;
  /** How often a remote KV's watch stream is checked against a read (default 5 s; `watch_signal.ts`). */
  kvWatchHeartbeatMs?: number;
}

/** What a gateway is built from. */
export interface GatewayOptions {
  config: Config;
  kv: Deno.Kv;
  /** Admin API token; `undefined` (and no `adminTokens`) turns the admin API off. */
  adminToken?: string;
  /** The KV-stored admin token of a first run, used when `adminToken` is not given. */
  adminTokens?: AdminTokenStore;
  /** Path of a local KV file, which lets the hot path skip KV reads while nothing was written. */
  kvPath?: string;
  /** `SWITCHYARD_KV` as set (a KV Connect URL, say), to name the store in outage log lines. */
  kvLocation?: string;
  /** Where per-request log lines go; defaults to logtape (JSON lines once configured). */
  logger?: RequestLogger;
  /** Token that may read `/metrics` besides the admin token. */
  metricsToken?: string;
  /** `SWITCHYARD_SECRET`: encrypts refreshed OAuth tokens and account secrets stored through the API. */
  secret?: string;
  /** Timings, for tests. */
  tuning?: Tuning;
  /** Usage batch flush interval (default 1000 ms). */
  usageFlushMs?: number;
  /** One OpenTelemetry span per upstream attempt (start-up sets it from `OTEL_DENO=true`). */
  tracing?: boolean;
  /** `SWITCHYARD_ADMIN=loopback`: the admin API and the dashboard answer loopback peers only. */
  adminLoopbackOnly?: boolean;
}

/** A running gateway. */
export interface Gateway {
  /** Answers a request; `info` (`Deno.serve`'s) gives the peer's address, for the admin API. */
  fetch(request: Request, info?: { remoteAddr?: Deno.Addr }): Promise<Response>;
  /** Shared account health. */
  readonly states: AccountStateStore;
  /** Whether the KV answers (a remote KV's calls are bounded by a deadline). */
  readonly reach: KvReachability;
  /** Concurrency slots. */
  readonly slots: SlotLeases;
  /** Batched usage totals. */
  readonly usage: UsageRecorder;
  /** Live dashboard updates. */
  readonly live: LiveHub;
  /** Keys, accounts and groups (config seed + KV). */
  readonly directory: Directory;
  /** Waits for background KV writes (quota snapshots, slot releases, response owners, thinking signers). */
  settled(): Promise<void>;
  /** Closes open Responses WebSockets with 1001 (a turn in flight finishes first). */
  closeSockets(): Promise<void>;
  /** Flushes batched usage, ends live dashboard streams and closes KV; call after the server has drained. */
  close(): Promise<void>;
}

/** Builds the gateway. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, kv, tuning = {} } = options;
  const sentinel = options.kvPath ? new FileChangeSentinel(options.kvPath) : undefined;
  // A local file does not hang; a remote KV's client retries through an outage, so its calls get a deadline.
  const reach = new KvReachability({
    deadlineMs: options.kvPath ? Infinity : tuning.kvDeadlineMs ?? DEFAULT_KV_DEADLINE_MS,
    label: kvLabel(options.kvLocation ?? options.kvPath),
  });
  // While the store is down calls fail at once; this one read finds out when it is back.
  if (!options.kvPath) reach.probeWith(() => kv.get(GENERATION_KEY));
  const states = new AccountStateStore(
    kv,
    () => config.failover.forbiddenStrikes,
    sentinel,
    () => config.failover.probeSeconds ?? DEFAULT_PROBE_SECONDS,
    // A remote KV has no file to stat: one watch stream tells of changes (lib/kv/watch_signal.ts).
    { reach, watchChanges: !options.kvPath, heartbeatMs: tuning.kvWatchHeartbeatMs },
  );
  // One pair of clients per egress proxy, for upstream requests and OAuth refreshes alike.
  const proxies = new ProxyClients();
  // OAuth accounts need SWITCHYARD_SECRET: checked first, so start-up names it.
  const credentials = await Credentials.create(
    config,
    kv,
    options.secret,
    tuning,
    (account) => proxies.for(account.proxy)?.pooled,
  );
  const box = options.secret
    ? await SecretBox.fromSecret(options.secret, "account-secrets")
    : undefined;
  const directory = await Directory.open({ kv, config, box });
  // A proxy no account names any more has its clients closed.
  states.watch(
    DIRECTORY_GENERATION_KEY,
    () => directory.reload().then(() => proxies.retain(directory.accounts().map((a) => a.proxy))),
  );
  const deliveries = new Deliveries(
    kv,
    tuning.alertRetryDelaysMs,
    tuning.alertAttemptTimeoutMs,
    reach,
  );
  const alerts = new Alerts(kv, deliveries, config.alerts, box, reach);
  await alerts.reload();
  states.watch(ALERT_CONFIG_KEY, () => alerts.reload());
  const errorRules = await ErrorRuleStore.open(kv, config.errorRules);
  states.watch(ERROR_RULES_KEY, () => errorRules.reload());
  // A new sign-in stored by any process replaces the OAuth tokens this one holds.
  states.watch(SIGN_IN_GENERATION_KEY, () => credentials.oauth?.forget() ?? Promise.resolve());

  const clock = new UsageClock();
  const slots = new SlotLeases(kv, { leaseMs: tuning.slotLeaseMs, reach });
  const sessions = new SessionBindings(kv, reach);
  const quotas = new QuotaBook(kv, reach);
  const accountAlerts = new AccountAlerts(alerts, {
    snapshot: () => states.current(),
    groups: () => directory.groups(),
  });
  states.listen((change) => accountAlerts.onHealth(change));
  quotas.listen((account, windows) => accountAlerts.onQuota(account, windows));
  const owners = new ResponseOwners(kv, reach);
  const signers = new ThinkingSigners(kv, reach);
  const usage = new UsageRecorder(kv, options.usageFlushMs, reach);
  const metrics = new GatewayMetrics();
  const money = await openMoney({
    kv,
    pricing: config.pricing,
    directory,
    metrics,
    flushMs: options.usageFlushMs,
    now: tuning.now,
    alerts,
    reach,
  });
  states.watch(PRICING_KEY, () => money.pricing.reload());
  const failovers = new FailoverLog(kv, reach);
  const series = new MinuteSeries(kv, undefined, reach);
  const trials = new TrialLog(kv, reach);
  const rows = () => accountRows({ directory, states, quotas, trials });
  const snapshot = () =>
    dashboardSnapshot({
      accounts: rows,
      keys: () => directory.keys(),
      groups: () => directory.groups(),
      usage,
      failovers,
      series,
    });
  // A live stream lasts while the admin token it was opened with is the one in force.
  const live = new LiveHub(snapshot, undefined, undefined, () => adminDigest());

  const forwardPorts = failoverPorts({
    policy: config.failover,
    credentials,
    slots,
    states,
    quotas,
    clock,
    errorRules: () => errorRules.rules(),
    proxies,
    tracing: options.tracing,
  });
  const checks = new AccountChecks({
    ports: forwardPorts,
    states,
    log: trials,
    events: {
      tested: (account, record) =>
        metrics.accountTests.inc({
          account,
          source: record.source,
          result: record.ok ? "pass" : "fail",
        }),
    },
  });
  const schedule = new CheckSchedule({
    checks,
    log: trials,
    accounts: () => directory.accounts(),
    groups: () => directory.groups(),
    tickMs: tuning.healthCheckTickMs,
  });

  const leaseDeps = {
    slots,
    queue: {
      timeoutMs: (config.queueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_SECONDS) * 1000,
      pollMs: tuning.queuePollMs ?? 200,
      keepAliveMs: tuning.keepAliveMs ?? 5_000,
    },
  };
  const pipeline: Pipeline = {
    states,
    admit: {
      directory,
      limits: new KeyLimits(kv, usage, reach),
      budgets: money.gate,
      owners,
      maxRequestBytes: config.maxRequestBytes,
      bodyIdleMs: config.bodyTimeoutSeconds === undefined
        ? undefined
        : config.bodyTimeoutSeconds * 1000,
      keySlots: leaseDeps,
    },
    plan: {
      states,
      sessions,
      quotas,
      clock,
      // From the directory: a group changed through the management API takes effect at once.
      groupSettings: (groupId) => directory.group(groupId),
    },
    lease: leaseDeps,
    forward: {
      sessions,
      ports: forwardPorts,
    },
    relay: new Relay({
      metrics,
      usage,
      failovers,
      live,
      series,
      log: options.logger ?? requestLogger(),
      cost: money.meter,
      isPassthrough: (id) => directory.account(id)?.account.passthrough ?? false,
    }),
    owners,
    signers,
  };

  const socketSettings = { ...DEFAULT_WEBSOCKET, ...config.websocket };
  const sockets = new ResponseSockets(pipeline, {
    ...socketSettings,
    maxMessageBytes: socketSettings.maxMessageBytes ?? config.maxRequestBytes,
  });

  const fixedDigest = options.adminToken ? sha256Hex(options.adminToken) : undefined;
  // A KV-stored token is read per admin request, so a reset reaches every process at once.
  // Within the KV deadline; while the KV is down, the token last read stays in force.
  let storedDigest: string | undefined;
  const adminDigest = async (): Promise<string | undefined> => {
    const tokens = options.adminTokens;
    if (fixedDigest !== undefined || !tokens) return fixedDigest;
    try {
      storedDigest = await reach.call("read the admin token", () => tokens.digest());
    } catch (error) {
      if (!(error instanceof KvUnreachable)) throw error;
    }
    return storedDigest;
  };
  const metricsDigest = options.metricsToken ? sha256Hex(options.metricsToken) : undefined;
  const tokenBox = options.secret
    ? await SecretBox.fromSecret(options.secret, "oauth-tokens")
    : undefined;
  const cors = corsPolicy(config.cors?.origins);
  const table = routeTable(gatewayRoutes({
    api: async (request, url) => {
      if (isResponsesSocket(request, url)) return await sockets.accept(request, url);
      if (!cors) return await handleApi(pipeline, request, url);
      return cors.preflight(request) ??
        cors.decorate(request, await handleApi(pipeline, request, url));
    },
    adminDigest,
    states,
    reach,
    live,
    accounts: { accounts: () => directory.accounts(), states, quotas },
    checks,
    alerts,
    management: { directory, errorRules, states, usage, live, snapshot, quotas, money, trials },
    console: {
      directory,
      states,
      live,
      signIn: tokenBox
        ? { flows: new SignInFlows(kv, tokenBox), tokens: new TokenStore(kv, tokenBox) }
        : undefined,
      accountRow: async (id) => (await rows()).find((row) => row.id === id),
    },
    metrics: {
      metrics,
      tokenDigests: async () =>
        [await adminDigest(), metricsDigest].filter((digest) => digest !== undefined),
      rows,
    },
    adminLoopbackOnly: options.adminLoopbackOnly,
  }));
  const fetch: Gateway["fetch"] = (request, info) => table(request, { address: peerAddress(info) });
  await states.current(); // Warm the snapshot so the first request pays no cold read.
  schedule.start();

  async function settled(): Promise<void> {
    await quotas.settled();
    await slots.settled();
    await owners.settled();
    await signers.settled();
    await failovers.settled();
    await accountAlerts.settled();
  }

  return {
    fetch,
    states,
    reach,
    slots,
    usage,
    live,
    directory,
    settled,
    closeSockets: () => sockets.drain(),
    async close() {
      await sockets.drain();
      await schedule.stop();
      deliveries.close(); // No webhook retries at shutdown: a down receiver must not hold it.
      await settled();
      await live.close();
      // While the KV is down each of these tries once (failing at once) and logs what is lost.
      await reach.recheck();
      const closing = [usage.close(), money.close(), series.close()];
      for (const queue of [owners, signers, sessions, failovers, trials, slots]) {
        closing.push(queue.close());
      }
      for (const result of await Promise.allSettled(closing)) {
        if (result.status === "rejected") logFailure("KV writes lost at shutdown")(result.reason);
      }
      reach.close();
      proxies.close();
      states.close();
      kv.close();
    },
  };
}

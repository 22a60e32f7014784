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
import { sha256Hex } from "./crypto/digest.ts";
import { SecretBox } from "./crypto/secret_box.ts";
import { ErrorRuleStore } from "./failover/rule_store.ts";
import { FileChangeSentinel } from "./kv/file_change_sentinel.ts";
import { DEFAULT_KV_DEADLINE_MS, kvLabel, KvReachability } from "./kv/reachability.ts";
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
import { SlotLeases } from "./leases/slots.ts";
import { FailoverLog } from "./observe/failover_log.ts";
import { MinuteSeries } from "./observe/minute_series.ts";
import { LiveHub } from "./observe/live_hub.ts";
import { GatewayMetrics } from "./observe/metrics.ts";
import { requestLogger } from "./observe/request_log.ts";
import { handleApi } from "./pipeline/api.ts";
import { failoverPorts } from "./pipeline/forward.ts";
import { Relay } from "./pipeline/relay.ts";
import { isResponsesSocket } from "./pipeline/socket/accept.ts";
import { UsageClock } from "./planning/usage_clock.ts";
import { Credentials } from "./providers/credentials.ts";
import { SignInFlows } from "./providers/oauth/flows.ts";
import { TokenStore } from "./providers/oauth/token_store.ts";
import { accountRows } from "./routes/admin/management.ts";
import { dashboardSnapshot } from "./routes/dashboard/snapshot.ts";
import { gatewayRoutes, routeTable } from "./routes/routes.ts";
import { KeyLimits } from "./usage/limits.ts";
import { openMoney } from "./usage/money.ts";
import { UsageRecorder } from "./usage/recorder.ts";
import { adminDigestReader } from "./app/admin_digest.ts";
import type { Gateway, GatewayOptions } from "./app/options.ts";
import { assemblePipeline, responseSockets } from "./app/pipeline.ts";
import { logFailure } from "./log.ts";

export type { Gateway, GatewayOptions, Tuning } from "./app/options.ts";

/** Builds the gateway. */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, kv, tuning = {} } = options;
  const sentinel = options.kvPath ? new FileChangeSentinel(options.kvPath) : undefined;
  // A local file does not hang; a remote KV's client retries through an outage, so its calls get a deadline.
  const reach = new KvReachability({
    deadlineMs: options.kvPath
      ? Infinity
      : tuning.kvDeadlineMs ?? options.kvDeadlineMs ?? DEFAULT_KV_DEADLINE_MS,
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
    reach,
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
  const { alertRetryDelaysMs: retries, alertAttemptTimeoutMs: attemptMs } = tuning;
  const deliveries = new Deliveries(kv, retries, attemptMs, reach);
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

  const pipeline = assemblePipeline({
    config,
    tuning,
    states,
    directory,
    limits: new KeyLimits(kv, usage, reach),
    budgets: money.gate,
    owners,
    signers,
    slots,
    sessions,
    quotas,
    clock,
    ports: forwardPorts,
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
  });
  const sockets = responseSockets(pipeline, config);

  // A KV-stored token is read per admin request, so a reset reaches every process at once.
  const adminDigest = adminDigestReader(options.adminToken, options.adminTokens, reach);
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
      metricsDigest,
      rows,
    },
    adminLoopbackOnly: options.adminLoopbackOnly,
  }));
  const fetch: Gateway["fetch"] = (request, info) => table(request, { address: peerAddress(info) });
  await states.current(); // Warm the snapshot so the first request pays no cold read.
  schedule.start();

  const writers = [quotas, slots, owners, signers, failovers, accountAlerts];
  async function settled(): Promise<void> {
    for (const writer of writers) await writer.settled();
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
    closeSockets: (ms) => sockets.drain(ms),
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

/**
 * Runs one soak: the fault upstream, N gateway processes on one KV file, the
 * load driver, and beside them the monitors (a `/healthz` probe, RSS
 * samples, an operator who resets disabled accounts, a watch for processes
 * that exit unasked). Mid-run one gateway is killed with SIGKILL and started
 * again. At the end the gateways get SIGTERM (they flush their usage), a
 * fresh gateway reads the usage back, and the upstream hands over its records.
 * Every process is stopped and the temporary directory removed, whatever
 * happens.
 *
 * @module
 */

import {
  type ServedProcess,
  startGatewayProcess,
  startScriptProcess,
} from "../support/processes.ts";
import { type GatewaySlot, runLoad } from "./driver.ts";
import type { Evidence } from "./evidence.ts";
import { type KvChoice, openSoakKv } from "./kv.ts";
import { readCost } from "./money.ts";
import { gatewayConfig, secretsOf, type SoakPlan } from "./plan.ts";
import { runSessions } from "./sockets.ts";
import { type Arrival, emptyNotes, type RunNotes, type UsageTotals } from "./records.ts";

/** Longest a gateway may take to exit after SIGTERM. */
const SHUTDOWN_GRACE_MS = 20_000;
const HEALTH_EVERY_MS = 500;
const HEALTH_TIMEOUT_MS = 3000;
const RSS_EVERY_MS = 1000;
const RESETS_EVERY_MS = 3000;

/** Runs the plan; resolves with the evidence for the checks. */
export async function runSoak(
  plan: SoakPlan,
  kvChoice: KvChoice,
  log: (line: string) => void,
): Promise<Evidence> {
  const dir = await Deno.makeTempDir({ prefix: "switchyard-soak-" });
  const processes = new Set<ServedProcess>();
  const expectedExit = new Set<ServedProcess>();
  const secrets = secretsOf(plan);
  const notes = emptyNotes(plan.kill.gateway);

  const gatewayLogs: ServedProcess[] = [];
  const watch = (process: ServedProcess, name: string) => {
    processes.add(process);
    process.status.then((status) => {
      if (!expectedExit.has(process)) {
        notes.processProblems.push(
          `${name} exited unasked (code ${status.code}, signal ${status.signal})`,
        );
      }
    });
    return process;
  };
  const stopAll = async () => {
    for (const process of processes) expectedExit.add(process);
    await Promise.all([...processes].map((process) => process.stop(5000).catch(() => {})));
  };

  // Interrupted (Ctrl-C, SIGTERM): stop the children and remove the files before going.
  const interrupted = async () => {
    await stopAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    Deno.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, interrupted);

  try {
    const planPath = `${dir}/plan.json`;
    await Deno.writeTextFile(planPath, JSON.stringify(plan));
    const upstream = watch(
      await startScriptProcess(
        ["run", "--allow-net", "--allow-read", "scripts/soak/fault_upstream.ts", planPath],
        { captureStderr: true, stdinPipe: true },
      ),
      "fault upstream",
    );
    const ports: Record<string, number> = await (await fetch(`${upstream.url}/ports`)).json();
    const kv = await openSoakKv(kvChoice, plan, dir, watch, async (process) => {
      expectedExit.add(process);
      await process.stop(5000);
    });
    notes.kv = kv.notes;
    const env = {
      SWITCHYARD_CONFIG_JSON: JSON.stringify(gatewayConfig(plan, ports)),
      ...kv.env,
      SWITCHYARD_ADMIN_TOKEN: plan.adminToken,
      SWITCHYARD_LOG: "info",
    };
    const startGateway = async (name: string) => {
      const process = watch(await startGatewayProcess(env, { captureStderr: true }), name);
      gatewayLogs.push(process);
      return process;
    };

    // The first process creates the KV (file), the admin token; the others open it together.
    const first = await startGateway("gateway 0");
    const rest = await Promise.all(
      Array.from({ length: plan.gateways - 1 }, (_, i) => startGateway(`gateway ${i + 1}`)),
    );
    const running = [first, ...rest];
    const slots: GatewaySlot[] = running.map((process, index) => ({
      index,
      incarnation: 0,
      url: process.url,
      up: true,
    }));
    const series = running.map((process, index) => ({
      process,
      name: `gw${index}`,
      samplesKiB: [] as number[],
    }));
    log(
      `soak: fault upstream and ${plan.gateways} gateways up on ${
        kv.notes.kind === "file" ? "one KV file" : `the remote KV ${kv.notes.url}`
      }; load for ${plan.seconds}s (seed ${plan.seed})`,
    );

    notes.startedAt = Date.now();
    const deadline = notes.startedAt + plan.seconds * 1000;
    let loadDone = false;
    const monitors = [
      every(HEALTH_EVERY_MS, () => loadDone, () => probeHealth(slots, notes)),
      every(RSS_EVERY_MS, () => loadDone, async () => {
        for (const entry of series) {
          if (expectedExit.has(entry.process)) continue;
          const kib = await rssKiB(entry.process.pid);
          if (kib !== undefined && !expectedExit.has(entry.process)) entry.samplesKiB.push(kib);
        }
      }),
      every(RESETS_EVERY_MS, () => loadDone, () => resetDisabled(plan, slots, notes, secrets)),
    ];
    const killing = (async () => {
      await sleepUntil(notes.startedAt + plan.kill.atMs);
      const slot = slots[plan.kill.gateway];
      const victim = running[plan.kill.gateway];
      slot.up = false;
      expectedExit.add(victim);
      notes.killedAt = Date.now();
      victim.kill("SIGKILL");
      await victim.status;
      log(
        `soak: gateway ${plan.kill.gateway} killed (SIGKILL) at +${
          ((notes.killedAt - notes.startedAt) / 1000).toFixed(1)
        }s`,
      );
      await sleepUntil(notes.killedAt + plan.kill.downMs);
      const again = await startGateway(`gateway ${plan.kill.gateway} (restarted)`);
      running.push(again);
      series.push({ process: again, name: `gw${plan.kill.gateway}'`, samplesKiB: [] });
      slot.url = again.url;
      slot.incarnation = 1;
      slot.up = true;
      notes.restartedAt = Date.now();
      log(`soak: gateway ${plan.kill.gateway} restarted`);
    })();

    const driving = {
      plan,
      gateways: slots,
      deadline,
      secrets,
      onSecret: (where: string) => notes.secretFindings.push(where),
    };
    const kvFaults = kv.throwFaults(notes.startedAt, log).catch((error) => {
      notes.processProblems.push(`the KV faults could not be thrown: ${error}`);
    });
    const [requests, turns] = await Promise.all([runLoad(driving), runSessions(driving)]);
    const clients = [...requests, ...turns];
    await killing;
    await kvFaults;
    notes.loadEndedAt = Date.now();
    loadDone = true;
    await Promise.all(monitors);
    notes.memory = series.map(({ name, samplesKiB }) => ({ name, samplesKiB }));
    log(
      `soak: load done (${requests.length} requests, ${turns.length} WebSocket turns); ` +
        "stopping the gateways with SIGTERM",
    );

    for (const process of running) expectedExit.add(process);
    await Promise.all(running.map(async (process, i) => {
      if (process === running[plan.kill.gateway]) return; // the SIGKILLed one
      const status = await process.stop(SHUTDOWN_GRACE_MS);
      if (status.code !== 0) {
        notes.processProblems.push(
          `gateway ${i} did not shut down cleanly (code ${status.code}, signal ${status.signal})`,
        );
      }
    }));

    const reader = await startGateway("usage reader");
    try {
      const days = [
        ...new Set(
          [notes.startedAt, Date.now()].map((t) => new Date(t).toISOString().slice(0, 10)),
        ),
      ];
      notes.usageByKey = await usage(reader.url, plan, "key", days, notes, secrets);
      notes.usageByAccount = await usage(reader.url, plan, "account", days, notes, secrets);
      notes.cost = await readCost(
        reader.url,
        plan.adminToken,
        days,
        (text, where) => scanAdmin(text, where, notes, secrets),
      );
    } finally {
      expectedExit.add(reader);
      await reader.stop(SHUTDOWN_GRACE_MS);
    }

    const arrivals: Arrival[] = await (await fetch(`${upstream.url}/records`)).json();
    notes.raced = await (await fetch(`${upstream.url}/raced`)).json();
    expectedExit.add(upstream);
    await upstream.stop(5000);
    await kv.close();

    for (const [i, process] of gatewayLogs.entries()) {
      notes.stderrLines.push(...process.errors);
      notes.logs.push(...process.lines.map((line) => `${i} ${line}`));
      for (const line of [...process.lines, ...process.errors]) {
        for (const secret of secrets) {
          if (line.includes(secret)) {
            notes.secretFindings.push(`gateway log line: ${line.slice(0, 80)}`);
          }
        }
      }
    }
    return { plan, arrivals, clients, notes };
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, interrupted);
    }
    await stopAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Calls `task` every `ms` until `done()`; resolves after the last call. */
async function every(
  ms: number,
  done: () => boolean,
  task: () => Promise<void> | void,
): Promise<void> {
  while (!done()) {
    await task();
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

async function probeHealth(slots: readonly GatewaySlot[], notes: RunNotes): Promise<void> {
  await Promise.all(
    slots.filter((slot) => slot.up).map(async (slot) => {
      const incarnation = slot.incarnation;
      notes.health.checks++;
      try {
        const response = await fetch(`${slot.url}/healthz`, {
          signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
        });
        const body = await response.json();
        const kvUnreachable = body?.kv?.reachable === false;
        notes.health.probes.push({
          gateway: slot.index,
          at: Date.now(),
          answered: response.status === 200,
          status: String(body?.status),
          kvUnreachable,
        });
        // Degraded for an unreachable KV is judged against the KV faults (`kv_checks.ts`).
        if (response.status !== 200 || (body.status !== "ok" && !kvUnreachable)) {
          throw new Error(`status ${response.status} ${JSON.stringify(body).slice(0, 120)}`);
        }
      } catch (error) {
        // A probe cut by the planned kill proves nothing.
        if (slot.up && slot.incarnation === incarnation) {
          notes.health.failures.push(
            `gw${slot.index} at +${((Date.now() - notes.startedAt) / 1000).toFixed(1)}s: ${error}`,
          );
        }
      }
    }),
  );
}

/** The soak's operator: accounts disabled by 401/402 or 403 strikes are reset, so faults go on. */
async function resetDisabled(
  plan: SoakPlan,
  slots: readonly GatewaySlot[],
  notes: RunNotes,
  secrets: readonly string[],
): Promise<void> {
  const slot = slots.find((candidate) => candidate.up);
  if (!slot) return;
  const auth = { authorization: `Bearer ${plan.adminToken}` };
  try {
    const response = await fetch(`${slot.url}/admin/accounts`, {
      headers: auth,
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    scanAdmin(text, "GET /admin/accounts", notes, secrets);
    const rows: { id: string; state: string }[] = JSON.parse(text);
    for (const row of rows.filter((candidate) => candidate.state === "disabled")) {
      const from = Date.now();
      const reset = await fetch(`${slot.url}/admin/accounts/${row.id}/reset`, {
        method: "POST",
        headers: auth,
        signal: AbortSignal.timeout(5000),
      });
      scanAdmin(await reset.text(), "POST /admin/accounts/:id/reset", notes, secrets);
      notes.resets.push({ account: row.id, from, to: Date.now() });
    }
  } catch {
    // The gateway may be the one being killed; the next round tries again.
  }
}

async function usage(
  url: string,
  plan: SoakPlan,
  by: "key" | "account",
  days: string[],
  notes: RunNotes,
  secrets: readonly string[],
): Promise<UsageTotals[]> {
  const response = await fetch(`${url}/admin/usage?from=${days[0]}&to=${days.at(-1)}&by=${by}`, {
    headers: { authorization: `Bearer ${plan.adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  scanAdmin(text, `GET /admin/usage?by=${by}`, notes, secrets);
  if (response.status !== 200) {
    throw new Error(`GET /admin/usage answered ${response.status}: ${text}`);
  }
  const body: { rows: (Omit<UsageTotals, "id"> & Record<string, unknown>)[] } = JSON.parse(text);
  return body.rows.map((row) => ({
    id: String(row[by]),
    input: row.input,
    output: row.output,
    cached: row.cached,
    requests: row.requests,
  }));
}

function scanAdmin(text: string, where: string, notes: RunNotes, secrets: readonly string[]): void {
  if (secrets.some((secret) => text.includes(secret))) {
    notes.secretFindings.push(`admin answer ${where}`);
  }
}

/**
 * Resident memory of a process, from /proc (Linux); `undefined` where unreadable. Read
 * through `cat`: Deno wants --allow-all for another process's /proc entries.
 */
async function rssKiB(pid: number): Promise<number | undefined> {
  try {
    const output = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(new TextDecoder().decode(output.stdout));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

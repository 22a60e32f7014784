/**
 * The soak's store: a KV file in the run's temporary directory (the default),
 * a remote KV reached over KV Connect (`--kv-url URL`, token from `--kv-token`
 * or `DENO_KV_ACCESS_TOKEN`), or the KV Connect test server
 * (`scripts/kv_server.ts`) the soak starts itself on loopback over a temporary
 * file with a random token (`--kv-url server`). On its own server the soak
 * also throws the planned KV faults (`plan.kv`): a burst of 503s, an expired
 * data-path token, and an outage with dropped connections.
 *
 * @module
 */

import { type ServedProcess, startKvServerProcess } from "../support/processes.ts";
import type { KvFaultPlan, SoakPlan } from "./plan.ts";
import type { KvNotes } from "./records.ts";

/** How the soak reaches its store, from the command line. */
export type KvChoice =
  | { kind: "file" }
  | { kind: "remote"; url: string; token: string }
  | { kind: "server" };

/** The store the gateways of one run share. */
export interface SoakKv {
  /** The environment that points `main.ts` at it. */
  env: Record<string, string>;
  /** What the report says about it (never the token). */
  notes: KvNotes;
  /** Runs the planned faults against `startedAt` (the load's start); resolves when done. */
  throwFaults(startedAt: number, log: (line: string) => void): Promise<void>;
  /** Reads the server's counters into the notes and stops it (own server only). */
  close(): Promise<void>;
}

/** Reads `--kv-url` / `--kv-token`; an error message when they do not fit together. */
export function kvChoice(
  url: string | undefined,
  token: string | undefined,
  envToken: string | undefined,
): KvChoice | string {
  if (url === undefined) {
    return token === undefined ? { kind: "file" } : "--kv-token needs --kv-url";
  }
  if (url === "server") {
    return token === undefined ? { kind: "server" } : "--kv-url server makes its own token";
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `--kv-url must be "server" or an http(s) KV Connect URL, got "${url}"`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `--kv-url must be "server" or an http(s) KV Connect URL, got "${url}"`;
  }
  const chosen = token ?? envToken;
  if (!chosen) return "a remote KV needs --kv-token or DENO_KV_ACCESS_TOKEN";
  return { kind: "remote", url, token: chosen };
}

/** A random hex string (tokens and the shared secret of a remote run). */
function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** The URL as the report shows it: no user, no password, no query. */
export function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

/** Opens the store for one run in `dir`; `watch` registers a child process to be stopped. */
export async function openSoakKv(
  choice: KvChoice,
  plan: SoakPlan,
  dir: string,
  watch: (process: ServedProcess, name: string) => ServedProcess,
  stop: (process: ServedProcess) => Promise<void>,
): Promise<SoakKv> {
  if (choice.kind === "file") {
    return {
      env: { SWITCHYARD_KV: `${dir}/soak.kv` },
      notes: { kind: "file", url: "", faults: [] },
      throwFaults: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  // A remote KV has no secret file beside it: every gateway gets the same secret.
  const secret = randomHex(32);
  if (choice.kind === "remote") {
    return {
      env: {
        SWITCHYARD_KV: choice.url,
        DENO_KV_ACCESS_TOKEN: choice.token,
        SWITCHYARD_SECRET: secret,
      },
      notes: { kind: "remote", url: shownUrl(choice.url), faults: [] },
      throwFaults: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  }
  const token = randomHex(24);
  const server = watch(
    await startKvServerProcess(`${dir}/server.kv`, token, [], { captureStderr: true }),
    "KV Connect test server",
  );
  const notes: KvNotes = { kind: "server", url: server.url, faults: [] };
  const switchFaults = async (change: Record<string, unknown>) => {
    const response = await fetch(`${server.url}/_faults`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(change),
      signal: AbortSignal.timeout(5000),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`kv-server /_faults ${response.status}`);
    return body as { stats?: Record<string, number> };
  };
  return {
    env: { SWITCHYARD_KV: server.url, DENO_KV_ACCESS_TOKEN: token, SWITCHYARD_SECRET: secret },
    notes,
    throwFaults: (startedAt, log) =>
      throwPlanned(plan.kv ?? {}, startedAt, switchFaults, notes, log),
    close: async () => {
      try {
        notes.serverStats = (await switchFaults({})).stats;
      } catch {
        // A server that no longer answers leaves the counters out of the report.
      }
      await stop(server);
    },
  };
}

/** One planned fault as a timed switch on, then off. */
interface Step {
  what: KvNotes["faults"][number]["what"];
  atMs: number;
  ms: number;
  on: Record<string, unknown>;
  off: Record<string, unknown>;
}

function stepsOf(faults: KvFaultPlan): Step[] {
  const steps: Step[] = [];
  if (faults.burst503) {
    steps.push({
      what: "503 burst",
      ...faults.burst503,
      on: { outage: "503" },
      off: { outage: false },
    });
  }
  if (faults.expireTokenAtMs !== undefined) {
    // Its window: the second after, while every client redoes the metadata exchange.
    steps.push({
      what: "expired token",
      atMs: faults.expireTokenAtMs,
      ms: 1000,
      on: { expireToken: true },
      off: {},
    });
  }
  if (faults.outage) {
    steps.push({
      what: "outage",
      ...faults.outage,
      on: { outage: "drop" },
      off: { outage: false },
    });
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

async function throwPlanned(
  faults: KvFaultPlan,
  startedAt: number,
  switchFaults: (change: Record<string, unknown>) => Promise<unknown>,
  notes: KvNotes,
  log: (line: string) => void,
): Promise<void> {
  for (const step of stepsOf(faults)) {
    await sleepUntil(startedAt + step.atMs);
    const from = Date.now();
    await switchFaults(step.on);
    await sleepUntil(from + step.ms);
    if (Object.keys(step.off).length > 0) await switchFaults(step.off);
    const to = Date.now();
    notes.faults.push({ what: step.what, from, to });
    log(
      `soak: KV ${step.what} at +${((from - startedAt) / 1000).toFixed(1)}s` +
        (step.ms > 0 ? ` for ${((to - from) / 1000).toFixed(1)}s` : ""),
    );
  }
}

function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

/**
 * The request pipeline put together from the gateway's stores: the stages'
 * dependencies (admit, plan, lease, forward, relay) and the Responses
 * WebSocket acceptor that runs each turn through the same stages. Pure
 * assembly: every store is built by `lib/app.ts` and passed in.
 *
 * @module
 */

import type { Config } from "../config/types.ts";
import { DEFAULT_WEBSOCKET } from "../config/defaults.ts";
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from "../leases/queue.ts";
import type { Pipeline } from "../pipeline/api.ts";
import { ResponseSockets } from "../pipeline/socket/accept.ts";
import type { Tuning } from "./options.ts";

/** What {@linkcode assemblePipeline} wires into the stages. */
export interface PipelineParts {
  config: Config;
  tuning: Tuning;
  states: Pipeline["states"];
  directory: Pipeline["admit"]["directory"];
  limits: Pipeline["admit"]["limits"];
  budgets: Pipeline["admit"]["budgets"];
  owners: Pipeline["owners"];
  signers: Pipeline["signers"];
  slots: Pipeline["lease"]["slots"];
  sessions: Pipeline["plan"]["sessions"] & Pipeline["forward"]["sessions"];
  quotas: Pipeline["plan"]["quotas"];
  clock: Pipeline["plan"]["clock"];
  ports: Pipeline["forward"]["ports"];
  relay: Pipeline["relay"];
}

/** The stages' dependencies, with the queue's timings from config and tuning. */
export function assemblePipeline(parts: PipelineParts): Pipeline {
  const { config, tuning, states, directory, slots, sessions } = parts;
  const leases = {
    slots,
    queue: {
      timeoutMs: (config.queueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_SECONDS) * 1000,
      pollMs: tuning.queuePollMs ?? 200,
      keepAliveMs: tuning.keepAliveMs ?? 5_000,
    },
  };
  return {
    states,
    admit: {
      directory,
      limits: parts.limits,
      budgets: parts.budgets,
      owners: parts.owners,
      maxRequestBytes: config.maxRequestBytes,
      bodyIdleMs: config.bodyTimeoutSeconds === undefined
        ? undefined
        : config.bodyTimeoutSeconds * 1000,
      keySlots: leases,
    },
    plan: {
      states,
      sessions,
      quotas: parts.quotas,
      clock: parts.clock,
      // From the directory: a group changed through the management API takes effect at once.
      groupSettings: (groupId) => directory.group(groupId),
    },
    lease: leases,
    forward: { sessions, ports: parts.ports },
    relay: parts.relay,
    owners: parts.owners,
    signers: parts.signers,
  };
}

/** The Responses WebSocket acceptor; a message may be as large as a request body unless set apart. */
export function responseSockets(pipeline: Pipeline, config: Config): ResponseSockets {
  const settings = { ...DEFAULT_WEBSOCKET, ...config.websocket };
  return new ResponseSockets(pipeline, {
    ...settings,
    maxMessageBytes: settings.maxMessageBytes ?? config.maxRequestBytes,
  });
}

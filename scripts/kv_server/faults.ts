/**
 * The test server's fault switches: the start-up flags (`--latency-ms`,
 * `--fail-rate`) and what `POST /_faults` may change at run time. Parsing is
 * pure and strict so a typo in a test fails loudly instead of injecting
 * nothing.
 *
 * @module
 */

/**
 * How requests fail during an outage: `"503"` answers 503 and `"drop"` resets
 * the stream before any answer (Deno's client retries both, so its calls wait
 * for the end of the outage); `"cut"` answers 200 and breaks the body off
 * (the client's call fails).
 */
export type Outage = false | "503" | "drop" | "cut";

/** The faults in force. */
export interface Faults {
  /** Added before every answer (the admin endpoint excepted). */
  latencyMs: number;
  /** The fraction of data-path requests answered with a 503. */
  failRate: number;
  outage: Outage;
  /** Requests wait (unanswered) until this is switched off: a timeout from the client's side. */
  hang: boolean;
  /** How long a data-path token issued by the metadata exchange stays valid. */
  tokenTtlMs: number;
  /** Added before each change a watch stream delivers (a slow stream: 0 by default). */
  watchDelayMs: number;
}

/** What `POST /_faults` asks for: new values, plus `expireToken` (a one-off action). */
export interface FaultChange {
  faults: Partial<Faults>;
  expireToken: boolean;
}

/** A fault request that is not understood. */
export class FaultError extends Error {}

function number(name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new FaultError(`${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Parses the JSON body of `POST /_faults`. */
export function parseFaultChange(body: unknown): FaultChange {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FaultError("the body must be a JSON object");
  }
  const change: FaultChange = { faults: {}, expireToken: false };
  for (const [name, value] of Object.entries(body)) {
    switch (name) {
      case "latencyMs":
        change.faults.latencyMs = number(name, value, 0);
        break;
      case "failRate":
        change.faults.failRate = number(name, value, 0, 1);
        break;
      case "watchDelayMs":
        change.faults.watchDelayMs = number(name, value, 0);
        break;
      case "tokenTtlMs":
        change.faults.tokenTtlMs = number(name, value, 1);
        break;
      case "hang":
        if (typeof value !== "boolean") throw new FaultError("hang must be true or false");
        change.faults.hang = value;
        break;
      case "outage":
        if (value === true || value === "503") change.faults.outage = "503";
        else if (value === false || value === "drop" || value === "cut") {
          change.faults.outage = value;
        } else throw new FaultError('outage must be true, false, "503", "drop" or "cut"');
        break;
      case "expireToken":
        if (typeof value !== "boolean") throw new FaultError("expireToken must be true or false");
        change.expireToken = value;
        break;
      default:
        throw new FaultError(`unknown fault ${JSON.stringify(name)}`);
    }
  }
  return change;
}

/**
 * An upstream request's headers as a plain list of pairs that a provider puts
 * its credential on, handed to `fetch` as pairs. A `Headers` here cost about
 * four times as much: it checks every value once when it is built and `fetch`
 * iterates it (sorting its list) and checks every value again, 17 µs an
 * attempt against 4 µs for pairs (`new Request` with nine client headers and
 * the key). `fetch` still checks every name and value once.
 *
 * @example
 * ```ts
 * const headers = new OutgoingHeaders([["content-type", "application/json"]]);
 * headers.set("authorization", "Bearer sk-...");
 * fetch(url, { method: "POST", headers: headers.pairs, body });
 * ```
 *
 * @module
 */

import type { HeaderPairs } from "./headers.ts";

/** What a provider does to an upstream request's headers (a `Headers` has it too). */
export interface HeaderEditor {
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  delete(name: string): void;
}

/** Lower-case name and value pairs, edited like a `Headers` (names are case-insensitive). */
export class OutgoingHeaders implements HeaderEditor {
  /** The pairs, for `fetch`: the client's (a copy) with every edit applied. */
  readonly pairs: HeaderPairs;

  /** Starts from `pairs` with lower-case names, as a `Headers` lists them (copied, not kept). */
  constructor(pairs: readonly (readonly [string, string])[]) {
    this.pairs = pairs.map(([name, value]) => [name, value]);
  }

  /** The values of `name` joined with `, `, as `Headers.get` gives them; `null` when absent. */
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    let found: string | null = null;
    for (const [key, value] of this.pairs) {
      if (key === wanted) found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }

  has(name: string): boolean {
    const wanted = name.toLowerCase();
    return this.pairs.some(([key]) => key === wanted);
  }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string): void {
    this.delete(name);
    this.pairs.push([name.toLowerCase(), value]);
  }

  delete(name: string): void {
    const wanted = name.toLowerCase();
    for (let i = this.pairs.length - 1; i >= 0; i--) {
      if (this.pairs[i][0] === wanted) this.pairs.splice(i, 1);
    }
  }
}

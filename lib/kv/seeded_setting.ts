/**
 * A setting seeded from the config and replaced as a whole through the
 * management API: stored in KV under one key as `{ [field]: value, updatedAt }`
 * until it is reset (`{ updatedAt }`, no value), when the seed is in force
 * again. The error rules and the price overrides are such settings.
 *
 * Every process reloads when the key's versionstamp moves (the account state
 * store watches it); reloads run one at a time, in order. A stored value is
 * read back through the same `read` that checked it on the way in, so a bad
 * entry is logged and the seed used instead of it.
 *
 * @example
 * ```ts
 * const rules = await SeededSetting.open(kv, ["switchyard", "error-rules"], "rules", [], read);
 * rules.state.value; // the config's rules until the API stores others
 * ```
 *
 * @module
 */

import { logError } from "../log.ts";
import { withLockRetry } from "./retry.ts";

/** A KV value holds at most 64 KiB; this leaves room for the envelope. */
export const MAX_STORED_BYTES = 60_000;

/** The value in force and where it came from. */
export interface SettingState<T> {
  source: "config" | "api";
  value: T;
  /** When the API last set it (ISO-8601); absent for the config's. */
  updatedAt?: string;
}

/** The size of `value` as stored JSON, to check against {@linkcode MAX_STORED_BYTES}. */
export function storedBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/** A config-seeded setting the management API may replace (see the module doc). */
export class SeededSetting<T> {
  #state: SettingState<T>;
  #reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kv: Deno.Kv,
    private readonly key: Deno.KvKey,
    /** The stored envelope's field for the value (kept as stored by earlier versions). */
    private readonly field: string,
    private readonly seed: T,
    /** Checks a stored value again; throws when it is bad. */
    private readonly read: (stored: unknown) => T,
    /** Names the setting in the log line of a bad stored value. */
    private readonly name: string,
  ) {
    this.#state = { source: "config", value: seed };
  }

  /** Opens the setting with the config's value as the seed and whatever KV holds. */
  static async open<T>(
    kv: Deno.Kv,
    key: Deno.KvKey,
    field: string,
    seed: T,
    read: (stored: unknown) => T,
    name = field,
  ): Promise<SeededSetting<T>> {
    const setting = new SeededSetting(kv, key, field, seed, read, name);
    await setting.reload();
    return setting;
  }

  /** The value in force; the same object until it changes. */
  get state(): SettingState<T> {
    return this.#state;
  }

  /** Stores `value` (already checked, within {@linkcode MAX_STORED_BYTES}) and reloads. */
  async replace(value: T): Promise<void> {
    const stored = { [this.field]: value, updatedAt: Date.now() };
    await withLockRetry(() => this.kv.set(this.key, stored));
    await this.reload();
  }

  /**
   * Drops the API's value: the config's is in force again. Stored as an
   * envelope without the value rather than deleted: a deleted key goes back
   * to the versionstamp (`null`) a process may have seen before its own
   * write, and that process would take the reset for "no change".
   */
  async reset(): Promise<void> {
    await withLockRetry(() => this.kv.set(this.key, { updatedAt: Date.now() }));
    await this.reload();
  }

  /** Re-reads KV. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#load());
    this.#reloading = next.catch(() => {});
    return next;
  }

  async #load(): Promise<void> {
    const entry = await withLockRetry(() =>
      this.kv.get<Record<string, unknown> & { updatedAt: number }>(this.key)
    );
    const stored = entry.value;
    if (!stored || !(this.field in stored)) {
      this.#state = { source: "config", value: this.seed };
      return;
    }
    try {
      // Checked on the way in; checked again so a bad entry never reaches a request.
      const value = this.read(stored[this.field]);
      this.#state = { source: "api", value, updatedAt: new Date(stored.updatedAt).toISOString() };
    } catch (error) {
      logError(`the stored ${this.name} cannot be used; using the config's`, {
        error: String(error instanceof Error ? error.message : error),
      });
      this.#state = { source: "config", value: this.seed };
    }
  }
}

/**
 * The error rules in force: the config's `errorRules` as the seed, replaced
 * as a whole by `PUT /admin/error-rules` (stored in KV under
 * `["switchyard", "error-rules"]` as `{ rules, updatedAt }`) until
 * `DELETE /admin/error-rules` goes back to the seed.
 *
 * The account state store reads that key in the same coalesced `getMany` as
 * its generation (`watch`), and not at all while the KV file is unchanged;
 * when its versionstamp moves, every process reloads the rules before its
 * next request goes out. The hot path itself only calls {@linkcode rules},
 * which returns the same array until a reload, so compiled patterns are
 * reused (`lib/failover/error_rules.ts`).
 *
 * @module
 */

import { errorRulesFromBody } from "../config/error_rules.ts";
import { ConfigError } from "../config/errors.ts";
import type { ErrorRule } from "../config/types.ts";
import { ERROR_RULES_KEY } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logError } from "../log.ts";
import type { Source } from "../accounts/directory.ts";

/** A KV value holds at most 64 KiB; this leaves room for the envelope. */
const MAX_STORED_BYTES = 60_000;

interface StoredRules {
  rules: ErrorRule[];
  updatedAt: number;
}

/** `GET /admin/error-rules`. */
export interface ErrorRulesView {
  source: Source;
  /** When the API last set them (ISO-8601); absent for the config's rules. */
  updatedAt?: string;
  errorRules: readonly ErrorRule[];
}

/** The rules in force, from the config or the management API. */
export class ErrorRuleStore {
  #view: ErrorRulesView;
  #reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kv: Deno.Kv,
    private readonly seed: readonly ErrorRule[],
  ) {
    this.#view = { source: "config", errorRules: seed };
  }

  /** Opens the store with the config's rules as the seed and whatever KV holds. */
  static async open(kv: Deno.Kv, seed: readonly ErrorRule[]): Promise<ErrorRuleStore> {
    const store = new ErrorRuleStore(kv, seed);
    await store.reload();
    return store;
  }

  /** The rules in force; the same array until they change. */
  rules(): readonly ErrorRule[] {
    return this.#view.errorRules;
  }

  view(): ErrorRulesView {
    return this.#view;
  }

  /** Replaces the whole list; throws a `ConfigError` naming the bad rule. */
  async replace(input: unknown): Promise<ErrorRulesView> {
    const rules = errorRulesFromBody(input);
    const bytes = new TextEncoder().encode(JSON.stringify(rules)).byteLength;
    if (bytes > MAX_STORED_BYTES) {
      throw new ConfigError(
        "errorRules",
        `must be at most ${MAX_STORED_BYTES} bytes as JSON to be stored (this list has ${bytes})`,
      );
    }
    const stored: StoredRules = { rules, updatedAt: Date.now() };
    await withLockRetry(() => this.kv.set(ERROR_RULES_KEY, stored));
    await this.reload();
    return this.#view;
  }

  /** Drops the API's rules: the config's are in force again. */
  async reset(): Promise<ErrorRulesView> {
    await withLockRetry(() => this.kv.delete(ERROR_RULES_KEY));
    await this.reload();
    return this.#view;
  }

  /** Re-reads KV. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    const next = this.#reloading.then(() => this.#load());
    this.#reloading = next.catch(() => {});
    return next;
  }

  async #load(): Promise<void> {
    const entry = await withLockRetry(() => this.kv.get<StoredRules>(ERROR_RULES_KEY));
    const stored = entry.value;
    if (!stored) {
      this.#view = { source: "config", errorRules: this.seed };
      return;
    }
    try {
      // Validated on the way in; checked again so a bad entry can never reach the hot path.
      const errorRules = errorRulesFromBody(stored.rules);
      this.#view = {
        source: "api",
        updatedAt: new Date(stored.updatedAt).toISOString(),
        errorRules,
      };
    } catch (error) {
      logError("stored error rules are invalid; using the config's", {
        error: String(error instanceof Error ? error.message : error),
      });
      this.#view = { source: "config", errorRules: this.seed };
    }
  }
}

/**
 * The error rules in force: the config's `errorRules` as the seed, replaced
 * as a whole by `PUT /admin/error-rules` (stored in KV under
 * `["switchyard", "error-rules"]` as `{ rules, updatedAt }`) until
 * `DELETE /admin/error-rules` goes back to the seed (`lib/kv/seeded_setting.ts`).
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
import { MAX_STORED_BYTES, SeededSetting, storedBytes } from "../kv/seeded_setting.ts";
import type { Source } from "../accounts/directory.ts";

/** `GET /admin/error-rules`. */
export interface ErrorRulesView {
  source: Source;
  /** When the API last set them (ISO-8601); absent for the config's rules. */
  updatedAt?: string;
  errorRules: readonly ErrorRule[];
}

/** The rules in force, from the config or the management API. */
export class ErrorRuleStore {
  private constructor(private readonly setting: SeededSetting<readonly ErrorRule[]>) {}

  /** Opens the store with the config's rules as the seed and whatever KV holds. */
  static async open(kv: Deno.Kv, seed: readonly ErrorRule[]): Promise<ErrorRuleStore> {
    const setting = await SeededSetting.open<readonly ErrorRule[]>(
      kv,
      ERROR_RULES_KEY,
      "rules",
      seed,
      errorRulesFromBody,
      "error rules",
    );
    return new ErrorRuleStore(setting);
  }

  /** The rules in force; the same array until they change. */
  rules(): readonly ErrorRule[] {
    return this.setting.state.value;
  }

  view(): ErrorRulesView {
    const { source, value, updatedAt } = this.setting.state;
    return { source, ...(updatedAt ? { updatedAt } : {}), errorRules: value };
  }

  /** Replaces the whole list; throws a `ConfigError` naming the bad rule. */
  async replace(input: unknown): Promise<ErrorRulesView> {
    const rules = errorRulesFromBody(input);
    const bytes = storedBytes(rules);
    if (bytes > MAX_STORED_BYTES) {
      throw new ConfigError(
        "errorRules",
        `must be at most ${MAX_STORED_BYTES} bytes as JSON to be stored (this list has ${bytes})`,
      );
    }
    await this.setting.replace(rules);
    return this.view();
  }

  /** Drops the API's rules: the config's are in force again. */
  async reset(): Promise<ErrorRulesView> {
    await this.setting.reset();
    return this.view();
  }

  /** Re-reads KV. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    return this.setting.reload();
  }
}

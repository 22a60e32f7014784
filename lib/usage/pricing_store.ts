/**
 * The price overrides in force: the config's `pricing` as the seed, replaced
 * as a whole by `PUT /admin/pricing` (stored in KV under
 * `["switchyard", "pricing"]` as `{ pricing, updatedAt }`) until
 * `DELETE /admin/pricing` goes back to the seed. Every process reloads when
 * the key's versionstamp moves (watched with the account state, as the error
 * rules are), so a new price applies to the requests recorded after it;
 * costs already recorded keep the price they were recorded at
 * (`lib/kv/seeded_setting.ts`).
 *
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import { Fields } from "../config/fields.ts";
import { readPricing } from "../config/pricing.ts";
import type { ModelPrice } from "../config/types.ts";
import { PRICING_KEY } from "../kv/keys.ts";
import { MAX_STORED_BYTES, SeededSetting, storedBytes } from "../kv/seeded_setting.ts";
import type { Source } from "../accounts/directory.ts";
import { PriceTable, SNAPSHOT_SOURCE } from "./prices.ts";

type Overrides = Readonly<Record<string, ModelPrice>>;

/** `GET /admin/pricing`. */
export interface PricingView {
  source: Source;
  /** When the API last set them (ISO-8601); absent for the config's. */
  updatedAt?: string;
  pricing: Overrides;
  /** Where the shipped snapshot came from and when. */
  snapshot: { source: string; date: string; models: number };
}

/** The price table in force. */
export class PricingStore {
  #table: PriceTable;

  private constructor(private readonly setting: SeededSetting<Overrides>) {
    this.#table = new PriceTable(setting.state.value);
  }

  /** Opens the store with the config's overrides as the seed and whatever KV holds. */
  static async open(kv: Deno.Kv, seed: Overrides = {}): Promise<PricingStore> {
    const read = (stored: unknown) => readPricing(new Fields({ pricing: stored }, ""), "pricing");
    const setting = await SeededSetting.open(kv, PRICING_KEY, "pricing", seed, read);
    return new PricingStore(setting);
  }

  /** The table in force; the same object until the overrides change. */
  table(): PriceTable {
    const overrides = this.setting.state.value;
    if (overrides !== this.#table.overrides) this.#table = new PriceTable(overrides);
    return this.#table;
  }

  view(): PricingView {
    const { source, value, updatedAt } = this.setting.state;
    const snapshot = { ...SNAPSHOT_SOURCE, models: this.table().snapshot().length };
    return { source, ...(updatedAt ? { updatedAt } : {}), pricing: value, snapshot };
  }

  /** Replaces every override (`{"pricing": {...}}` or the map itself). */
  async replace(input: unknown): Promise<PricingView> {
    const body = Fields.of(input, "");
    const pricing = body.has("pricing")
      ? (body.onlyKnown(["pricing"]), readPricing(body, "pricing"))
      : readPricing(new Fields({ pricing: input }, ""), "pricing");
    if (storedBytes(pricing) > MAX_STORED_BYTES) {
      throw new ConfigError("pricing", `must be at most ${MAX_STORED_BYTES} bytes as JSON`);
    }
    await this.setting.replace(pricing);
    return this.view();
  }

  /** Drops the API's overrides: the config's are in force again. */
  async reset(): Promise<PricingView> {
    await this.setting.reset();
    return this.view();
  }

  /** Re-reads KV. Reloads run one at a time, in order. */
  reload(): Promise<void> {
    return this.setting.reload();
  }
}

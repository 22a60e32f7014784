/**
 * The price overrides in force: the config's `pricing` as the seed, replaced
 * as a whole by `PUT /admin/pricing` (stored in KV under
 * `["switchyard", "pricing"]` as `{ pricing, updatedAt }`) until
 * `DELETE /admin/pricing` goes back to the seed. Every process reloads when
 * the key's versionstamp moves (watched with the account state, as the error
 * rules are), so a new price applies to the requests recorded after it;
 * costs already recorded keep the price they were recorded at.
 *
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import { Fields } from "../config/fields.ts";
import { readPricing } from "../config/pricing.ts";
import type { ModelPrice } from "../config/types.ts";
import { PRICING_KEY } from "../kv/keys.ts";
import { withLockRetry } from "../kv/retry.ts";
import { logError } from "../log.ts";
import type { Source } from "../accounts/directory.ts";
import { PriceTable, SNAPSHOT_SOURCE } from "./prices.ts";

/** A KV value holds at most 64 KiB; this leaves room for the envelope. */
const MAX_STORED_BYTES = 60_000;

interface StoredPricing {
  pricing: Record<string, ModelPrice>;
  updatedAt: number;
}

/** `GET /admin/pricing`. */
export interface PricingView {
  source: Source;
  /** When the API last set them (ISO-8601); absent for the config's. */
  updatedAt?: string;
  pricing: Readonly<Record<string, ModelPrice>>;
  /** Where the shipped snapshot came from and when. */
  snapshot: { source: string; date: string; models: number };
}

/** The price table in force. */
export class PricingStore {
  #view: PricingView;
  #table: PriceTable;
  #reloading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly kv: Deno.Kv,
    private readonly seed: Readonly<Record<string, ModelPrice>>,
  ) {
    this.#table = new PriceTable(seed);
    this.#view = this.#viewOf("config", seed);
  }

  /** Opens the store with the config's overrides as the seed and whatever KV holds. */
  static async open(
    kv: Deno.Kv,
    seed: Readonly<Record<string, ModelPrice>> = {},
  ): Promise<PricingStore> {
    const store = new PricingStore(kv, seed);
    await store.reload();
    return store;
  }

  /** The table in force; the same object until the overrides change. */
  table(): PriceTable {
    return this.#table;
  }

  view(): PricingView {
    return this.#view;
  }

  /** Replaces every override (`{"pricing": {...}}` or the map itself). */
  async replace(input: unknown): Promise<PricingView> {
    const body = Fields.of(input, "");
    const pricing = body.has("pricing")
      ? (body.onlyKnown(["pricing"]), readPricing(body, "pricing"))
      : readPricing(new Fields({ pricing: input }, ""), "pricing");
    const bytes = new TextEncoder().encode(JSON.stringify(pricing)).byteLength;
    if (bytes > MAX_STORED_BYTES) {
      throw new ConfigError("pricing", `must be at most ${MAX_STORED_BYTES} bytes as JSON`);
    }
    const stored: StoredPricing = { pricing, updatedAt: Date.now() };
    await withLockRetry(() => this.kv.set(PRICING_KEY, stored));
    await this.reload();
    return this.#view;
  }

  /** Drops the API's overrides: the config's are in force again. */
  async reset(): Promise<PricingView> {
    await withLockRetry(() => this.kv.delete(PRICING_KEY));
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
    const entry = await withLockRetry(() => this.kv.get<StoredPricing>(PRICING_KEY));
    const stored = entry.value;
    if (!stored) return this.#use("config", this.seed);
    try {
      // Validated on the way in; checked again so a bad entry never prices a request.
      const pricing = readPricing(new Fields({ pricing: stored.pricing }, ""), "pricing");
      this.#use("api", pricing, new Date(stored.updatedAt).toISOString());
    } catch (error) {
      logError("stored pricing is invalid; using the config's", {
        error: String(error instanceof Error ? error.message : error),
      });
      this.#use("config", this.seed);
    }
  }

  #use(source: Source, pricing: Readonly<Record<string, ModelPrice>>, updatedAt?: string): void {
    if (pricing !== this.#table.overrides) this.#table = new PriceTable(pricing);
    this.#view = this.#viewOf(source, pricing, updatedAt);
  }

  #viewOf(
    source: Source,
    pricing: Readonly<Record<string, ModelPrice>>,
    updatedAt?: string,
  ): PricingView {
    const snapshot = { ...SNAPSHOT_SOURCE, models: this.#table.snapshot().length };
    return { source, ...(updatedAt ? { updatedAt } : {}), pricing, snapshot };
  }
}

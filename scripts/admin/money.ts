/**
 * The `deno task admin` commands for money: price overrides
 * (`/admin/pricing`), budgets on keys and groups (`PUT /admin/keys/:id`,
 * `PUT /admin/groups/:id`) and their spend (`/admin/budgets`).
 *
 * @module
 */

import { CliError, type Command, need, numericFields, table } from "./context.ts";

type Row = Record<string, unknown>;

const PRICE_FLAGS = [
  ["input", "input"],
  ["output", "output"],
  ["cached-input", "cachedInput"],
  ["cache-write", "cacheWrite"],
  ["cache-write-1h", "cacheWrite1h"],
  ["reasoning", "reasoning"],
] as const;

const enc = encodeURIComponent;

interface PricingView {
  source: string;
  pricing: Record<string, Row>;
  snapshot: { source: string; date: string; models: number };
}

/** The money commands, merged into `COMMANDS`. */
export const MONEY_COMMANDS: Record<string, (command: Command) => Promise<void>> = {
  async "pricing list"({ call, print }) {
    const view = await call("GET", "/admin/pricing") as PricingView;
    print(view, () => pricingTable(view));
  },
  async "pricing set"({ args, values, call, print }) {
    const model = need("<model>", args[0]);
    const price = numericFields(values, PRICE_FLAGS, false);
    if (price.input === undefined || price.output === undefined) {
      throw new CliError("pricing set needs --input and --output (USD per 1M tokens)", 2);
    }
    const current = await call("GET", "/admin/pricing") as PricingView;
    const pricing = { ...current.pricing, [model]: price };
    const view = await call("PUT", "/admin/pricing", { pricing }) as PricingView;
    print(view, () => pricingTable(view));
  },
  async "pricing remove"({ args, call, print }) {
    const model = need("<model>", args[0]);
    const current = await call("GET", "/admin/pricing") as PricingView;
    if (!(model in current.pricing)) throw new CliError(`no override for "${model}"`);
    const { [model]: _removed, ...pricing } = current.pricing;
    const view = await call("PUT", "/admin/pricing", { pricing }) as PricingView;
    print(view, () => pricingTable(view));
  },
  async "pricing reset"({ call, print }) {
    const view = await call("DELETE", "/admin/pricing") as PricingView;
    print(view, () => pricingTable(view));
  },
  "keys budget": (command) => setBudget(command, "keys"),
  "groups budget": (command) => setBudget(command, "groups"),
  async "budgets list"({ call, print }) {
    const { budgets } = await call("GET", "/admin/budgets") as { budgets: Row[] };
    print(budgets, () =>
      budgets.length === 0 ? ["no budgets"] : table(
        ["SCOPE", "ID", "PER", "BUDGET", "SPENT", "USED", "RESETS AT"],
        budgets.map((b) => [
          b.scope,
          b.id,
          b.per,
          `$${b.usd}`,
          `$${(b.spentUsd as number).toFixed(4)}`,
          `${Math.round((b.spentUsd as number) / (b.usd as number) * 100)}%`,
          b.resetsAt,
        ]),
      ));
  },
};

/** `keys budget <id> --per day --usd 5 [--alert-at 0.8]`; `--usd none` removes that window's budget. */
async function setBudget({ args, values, call, print }: Command, kind: "keys" | "groups") {
  const id = need("<id>", args[0]);
  const per = need("--per day|week|month|5h", values.per);
  const usd = need("--usd N|none", values.usd);
  const current = await call("GET", `/admin/${kind}/${enc(id)}`) as Row;
  const kept = ((current.budgets ?? []) as Row[]).filter((budget) => budget.per !== per);
  const budgets = usd === "none" ? kept : [...kept, {
    per,
    ...numericFields(values, [["usd", "usd"], ["alert-at", "alertAt"]], false),
  }];
  let body: Row = { budgets: budgets.length > 0 ? budgets : null };
  if (kind === "groups") {
    // PUT replaces a group: send it whole.
    const { id: _id, source: _source, budgets: _budgets, ...rest } = current;
    body = budgets.length > 0 ? { ...rest, budgets } : rest;
  }
  const row = await call("PUT", `/admin/${kind}/${enc(id)}`, body) as Row;
  print(
    row,
    () => [`${kind === "keys" ? "key" : "group"} "${id}" budgets: ${describe(row.budgets)}`],
  );
}

function describe(budgets: unknown): string {
  if (!Array.isArray(budgets) || budgets.length === 0) return "none";
  return budgets.map((b: Row) =>
    `$${b.usd}/${b.per}${b.alertAt !== undefined ? ` (alert at ${b.alertAt})` : ""}`
  ).join(", ");
}

function pricingTable(view: PricingView): string[] {
  const rows = Object.entries(view.pricing);
  const price = (value: unknown) => (value === undefined ? "-" : String(value));
  return [
    `prices: ${view.snapshot.source} (${view.snapshot.date}, ${view.snapshot.models} models), ` +
    `USD per 1M tokens; overrides from the ${view.source}${rows.length === 0 ? ": none" : ""}`,
    ...(rows.length === 0 ? [] : table(
      ["MODEL", "INPUT", "OUTPUT", "CACHED", "CACHE WRITE", "WRITE 1H", "REASONING"],
      rows.map(([model, p]) => [
        model,
        p.input,
        p.output,
        price(p.cachedInput),
        price(p.cacheWrite),
        price(p.cacheWrite1h),
        price(p.reasoning),
      ]),
    )),
  ];
}

/**
 * The money endpoints of the management API (behind the admin token):
 * - `GET|PUT|DELETE /admin/pricing`: the price overrides in force and the
 *   snapshot's source and date; `PUT` replaces every override (`{"pricing":
 *   {"gpt-5": {"input": 1.25, "output": 10}}}`), `DELETE` goes back to the
 *   config's. `GET /admin/pricing?model=NAME` also says how NAME is priced.
 * - `GET /admin/budgets`: each key's and group's budgets with what they spent
 *   in the current window and when it resets, for the console's bars.
 *
 * @module
 */

import type { Directory } from "../../accounts/directory.ts";
import type { LiveHub } from "../../observe/live_hub.ts";
import { budgetTargets } from "../../usage/budget_gate.ts";
import type { Money } from "../../usage/money.ts";
import { jsonBody, methodNotAllowed } from "./answers.ts";

/** `/admin/pricing`. */
export async function pricingEndpoint(
  request: Request,
  url: URL,
  money: Money,
  live: LiveHub,
): Promise<Response> {
  const { pricing } = money;
  if (request.method === "GET") {
    const model = url.searchParams.get("model");
    if (!model) return Response.json(pricing.view());
    const priced = pricing.table().priceOf(model);
    return Response.json({ ...pricing.view(), model, priced: priced ?? null });
  }
  if (request.method === "PUT") {
    const view = await pricing.replace(await jsonBody(request));
    live.poke();
    return Response.json(view);
  }
  if (request.method !== "DELETE") return methodNotAllowed("GET, PUT, DELETE");
  const view = await pricing.reset();
  live.poke();
  return Response.json(view);
}

/** `/admin/budgets`. */
export async function budgetsEndpoint(
  request: Request,
  money: Money,
  directory: Directory,
): Promise<Response> {
  if (request.method !== "GET") return methodNotAllowed("GET");
  const rows = [];
  const targets = [
    ...directory.keys().flatMap((key) => budgetTargets(key, undefined)),
    ...directory.groups().flatMap((group) =>
      budgetTargets({ id: "" }, group).filter((target) => target.scope === "group")
    ),
  ];
  for (const target of targets) {
    for (const state of await money.gate.states(target)) {
      rows.push({
        scope: target.scope,
        id: target.id,
        ...state.budget,
        spentUsd: state.spent / 1_000_000,
        resetsAt: new Date(state.resetsAt).toISOString(),
      });
    }
  }
  return Response.json({ budgets: rows });
}

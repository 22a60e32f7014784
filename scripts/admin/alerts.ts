/**
 * The `deno task admin alerts` commands over `/admin/alerts`: list the
 * webhooks and last deliveries, replace the settings from JSON on stdin (so
 * webhook URLs and secrets stay out of shell history), and send a test event.
 * The API never returns a webhook's URL path or secret, so neither is printed.
 *
 * @module
 */

import { CliError, type Command, table } from "./context.ts";
import { readStdinAll } from "../support/stdin.ts";

type Row = Record<string, unknown>;

/** `GET /admin/alerts`, as far as the tables need it. */
interface AlertsView {
  webhooks: Row[];
  quotaPercent: number;
  deliveries: Row[];
}

/** The alert commands, merged into `COMMANDS`. */
export const ALERT_COMMANDS: Record<string, (command: Command) => Promise<void>> = {
  async "alerts list"({ call, print }) {
    const view = await call("GET", "/admin/alerts") as AlertsView;
    print(view, () => alertsTable(view));
  },
  async "alerts set"({ io, call, print }) {
    const input = await (io.input ?? readStdinAll)();
    let body: unknown;
    try {
      body = JSON.parse(input);
    } catch {
      throw new CliError('alerts set reads JSON on stdin: {"webhooks": [...], "quotaPercent"?}');
    }
    const view = await call("PUT", "/admin/alerts", body) as AlertsView;
    print(view, () => alertsTable(view));
  },
  async "alerts test"({ call, print }) {
    const { deliveries } = await call("POST", "/admin/alerts/test") as { deliveries: Row[] };
    print({ deliveries }, () => deliveryTable(deliveries));
    const failed = deliveries.filter((delivery) => delivery.ok !== true).length;
    if (failed > 0) throw new CliError(`${failed} of ${deliveries.length} webhooks failed`);
  },
};

function alertsTable(view: AlertsView): string[] {
  const hooks = view.webhooks;
  return [
    `alerts: account.quota at ${view.quotaPercent}% used${
      hooks.length === 0 ? "; no webhooks" : ""
    }`,
    ...(hooks.length === 0 ? [] : table(
      ["WEBHOOK", "URL", "FORMAT", "SIGNED", "EVENTS"],
      hooks.map((hook) => [
        hook.id,
        hook.url,
        hook.format,
        hook.hasSecret === true ? "yes" : "no",
        Array.isArray(hook.events) ? hook.events.join(",") : "all",
      ]),
    )),
    ...(view.deliveries.length === 0
      ? []
      : ["last deliveries:", ...deliveryTable(view.deliveries)]),
  ];
}

function deliveryTable(deliveries: Row[]): string[] {
  if (deliveries.length === 0) return ["no deliveries"];
  return table(
    ["AT", "WEBHOOK", "EVENT", "RESULT", "ATTEMPTS"],
    deliveries.map((d) => [
      new Date(d.at as number).toISOString(),
      d.webhook,
      d.event,
      d.ok === true
        ? `delivered (${d.status})`
        : `failed: ${d.error ?? "-"}${d.status === undefined ? "" : ` (${d.status})`}`,
      d.attempts,
    ]),
  );
}

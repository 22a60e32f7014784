/**
 * The alert settings and deliveries (`lib/observe/alerts.ts`):
 * - `GET /admin/alerts`: the webhooks (no URL path, no secret: `hasSecret`),
 *   `quotaPercent`, the event names and the last deliveries;
 * - `PUT /admin/alerts`: replaces the settings (`{"webhooks": [...],
 *   "quotaPercent"?}`); a webhook given by `id` without `url` or `secret`
 *   keeps the stored ones, which are write-only;
 * - `POST /admin/alerts/test`: sends a `test` event to every webhook and
 *   answers with each delivery.
 *
 * @module
 */

import { ALERT_EVENTS, publicWebhook, readAlerts } from "../../config/alerts.ts";
import { ConfigError } from "../../config/errors.ts";
import { Fields } from "../../config/fields.ts";
import { type Alerts, AlertSecretUnavailable } from "../../observe/alerts.ts";
import type { Route } from "../table.ts";
import { adminError, jsonBody, methodNotAllowed } from "./answers.ts";

/** The alert routes, for the admin route table. */
export function alertRoutes(alerts: Alerts): Route[] {
  return [
    {
      path: "/admin/alerts",
      async handle(request) {
        if (request.method === "GET") return Response.json(await view(alerts));
        if (request.method !== "PUT") {
          return adminError(405, "use GET or PUT", undefined, { allow: "GET, PUT" });
        }
        try {
          const body = await jsonBody(request);
          await alerts.replace(readAlerts(Fields.of(body, ""), alerts.settings()));
        } catch (error) {
          if (error instanceof ConfigError) {
            return adminError(400, error.message, error.field || "body");
          }
          if (error instanceof AlertSecretUnavailable) return adminError(503, error.message);
          throw error;
        }
        return Response.json(await view(alerts));
      },
    },
    {
      path: "/admin/alerts/test",
      async handle(request) {
        if (request.method !== "POST") {
          return methodNotAllowed("POST");
        }
        if (alerts.settings().webhooks.length === 0) {
          return adminError(400, "no webhooks to test: add one first", "webhooks");
        }
        return Response.json({ deliveries: await alerts.sendTest() });
      },
    },
  ];
}

async function view(alerts: Alerts): Promise<Record<string, unknown>> {
  const settings = alerts.settings();
  return {
    webhooks: settings.webhooks.map(publicWebhook),
    quotaPercent: settings.quotaPercent,
    events: ALERT_EVENTS,
    deliveries: await alerts.deliveries.recent(20),
  };
}

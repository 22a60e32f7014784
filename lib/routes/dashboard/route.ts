/**
 * `GET /dashboard`: the dashboard page (`page.ts`), with headers that keep it
 * from being framed, cached or fed scripts from elsewhere. The page holds no
 * data; it reads the admin API with the operator's token.
 *
 * @module
 */

import { consolePage, DASHBOARD_HTML } from "./page.ts";

/** The dashboard page; with the admin API off it says so instead of offering a sign-in. */
export function dashboardPage(adminOn: boolean): Response {
  return new Response(adminOn ? DASHBOARD_HTML : consolePage(false), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy":
        "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    },
  });
}

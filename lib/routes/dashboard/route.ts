/**
 * `GET /dashboard`: the dashboard page (`page.ts`), with headers that keep it
 * from being framed, cached or fed scripts from elsewhere. The page holds no
 * data; it reads the admin API with the operator's token.
 *
 * @module
 */

import { sha256Base64 } from "../../crypto/digest.ts";
import { CONSOLE_SCRIPT, consolePage, DASHBOARD_HTML } from "./page.ts";

/**
 * The page's policy: its one inline script by hash (no `'unsafe-inline'`
 * script), nothing fetched but from this origin, no `<base>`, no form posts
 * anywhere (forms are sent by the script), never framed.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  `script-src 'sha256-${sha256Base64(CONSOLE_SCRIPT)}'`,
  "style-src 'unsafe-inline'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The dashboard page; with the admin API off it says so instead of offering a sign-in. */
export function dashboardPage(adminOn: boolean): Response {
  return new Response(adminOn ? DASHBOARD_HTML : consolePage(false), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": DASHBOARD_CSP,
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    },
  });
}

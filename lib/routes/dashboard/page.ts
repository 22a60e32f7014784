/**
 * The dashboard: a console to run the pool from, as one HTML page with
 * inline CSS and script and no build step (`console/` holds its parts); the
 * script runs under a CSP that names its hash, so no other inline script can.
 * The page itself holds no data. After the operator signs in with the admin
 * token (kept in `sessionStorage`, sent as a Bearer header, never in a URL),
 * it reads `GET /admin/events`, a server-sent event stream, with `fetch` so
 * the token can travel in a header, and redraws on every snapshot; every
 * change goes through the management API. Countdowns (cooldowns, probes,
 * quota resets) tick in the browser. One column on a phone; every control is
 * a native button, field or dialog, so it works by keyboard.
 *
 * @module
 */

import { CONSOLE_BODY } from "./console/markup.ts";
import { SCRIPT_CHARTS } from "./console/script_charts.ts";
import { SCRIPT_CORE } from "./console/script_core.ts";
import { SCRIPT_FORMS } from "./console/script_forms.ts";
import { SCRIPT_KEYS } from "./console/script_keys.ts";
import { SCRIPT_MONEY } from "./console/script_money.ts";
import { SCRIPT_SESSION } from "./console/script_session.ts";
import { SCRIPT_VIEWS } from "./console/script_views.ts";
import { SCRIPT_ALERTS } from "./console/script_alerts.ts";
import { CONSOLE_CSS } from "./console/style.ts";

/** The page's one script, inline; the page's CSP allows it by its hash (`route.ts`). */
export const CONSOLE_SCRIPT = `
${SCRIPT_CORE}
${SCRIPT_SESSION}
${SCRIPT_VIEWS}
${SCRIPT_CHARTS}
${SCRIPT_FORMS}
${SCRIPT_KEYS}
${SCRIPT_ALERTS}
${SCRIPT_MONEY}
`;

/** The page; with `adminOn` false it says the admin API is off instead of offering a sign-in. */
export function consolePage(adminOn: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>Switchyard</title>
<style>${CONSOLE_CSS}</style>
</head>
<body data-admin="${adminOn ? "on" : "off"}">
${CONSOLE_BODY}
<script>${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
}

/** The page with the admin API on. */
export const DASHBOARD_HTML = consolePage(true);

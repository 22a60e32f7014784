/**
 * The console script, part 1: DOM helpers, the admin API client with
 * readable errors (a stale or revoked token signs the user out), and form
 * validation that puts the API's 400 message next to its field. Dialogs,
 * copying, the live event stream and the ticking countdowns follow in
 * `script_session.ts`.
 *
 * Browser code in a string: no template literals inside (the string is one).
 *
 * @module
 */

export const SCRIPT_CORE = String.raw`
"use strict";
const $ = (id) => document.getElementById(id);
const ADMIN_ON = document.body.dataset.admin !== "off";
let token = sessionStorage.getItem("switchyard-token");
let stream = null;
let snap = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}
const fmt = (n) => Number(n || 0).toLocaleString("en-US");
function compact(n) {
  n = Number(n || 0);
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(n >= 1e5 ? 0 : 1) + "k";
  return fmt(n);
}
function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d) return d + "d " + h + "h";
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + r + "s";
}
function remaining(until, kind) {
  const s = Math.max(0, Math.ceil((Date.parse(until) - Date.now()) / 1000));
  if (kind === "probe") return s === 0 ? "probe due" : "probe in " + duration(s);
  if (kind === "reset") return s === 0 ? "resets now" : "resets in " + duration(s);
  return s === 0 ? "returning now" : "back in " + duration(s);
}
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });

/** A message as a sentence: a capital first letter and a full stop. */
function sentence(text) {
  const t = String(text || "").trim();
  if (!t) return "";
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?)]$/.test(s) ? s : s + ".";
}

class ApiError extends Error {
  constructor(status, message, param) { super(message); this.status = status; this.param = param || null; }
}

async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: Object.assign({ authorization: "Bearer " + token }, body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "The gateway did not answer. Check that it is running and that this page can reach it.");
  }
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch (error) { data = null; }
  if (res.status === 401) {
    signOut("Your admin token is no longer accepted (it was reset, or the gateway uses another one). Sign in with the current token.");
    throw new ApiError(401, "Signed out.");
  }
  if (res.status === 404 && path.startsWith("/admin/") && data && data.error && data.error.message === "not found") {
    showAdminOff();
    throw new ApiError(404, "The admin API is off.");
  }
  if (!res.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(res.status, readable(res.status, error.message), error.param);
  }
  return data;
}

function readable(status, message) {
  if (message) return sentence(message);
  if (status >= 500) return "The gateway had a problem (" + status + "). Try again; if it keeps happening, look at its log.";
  return "The request was refused (" + status + ").";
}

let toastTimer;
function toast(message, bad) {
  const box = $("toast");
  box.textContent = message;
  box.className = bad ? "bad" : "";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, bad ? 8000 : 3500);
}

// ---- forms ----

function fieldOf(form, name) { return form.querySelector('[data-field="' + name + '"]'); }

function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error")) node.textContent = "";
  for (const node of form.querySelectorAll(".field.invalid")) node.classList.remove("invalid");
}

function formError(form, message) {
  const box = form.querySelector(".form-error");
  if (box) box.textContent = message; else toast(message, true);
}

/**
 * The API names a field as "baseUrl", "oauth.tokenUrl", "accounts[1]" or
 * "models.gpt-4.1" (a key inside a map): find it in the form, by the last
 * part, else by the first.
 */
function showFieldError(form, param, message) {
  const parts = String(param || "").replace(/\[\d+\]/g, "").split(".");
  const wrap = fieldOf(form, parts.at(-1)) || fieldOf(form, parts[0]);
  if (!wrap || wrap.closest("[hidden]")) return formError(form, message);
  wrap.classList.add("invalid");
  wrap.querySelector(".field-error").textContent = message;
  const details = wrap.closest("details");
  if (details) details.open = true;
  const control = wrap.querySelector("input, select, textarea");
  if (control) control.focus();
}

/** Checks every control before anything is sent; the first problem gets the focus. */
function validate(form) {
  let first = null;
  for (const control of form.elements) {
    if (!control.willValidate || control.closest("[hidden]") || control.checkValidity()) continue;
    const wrap = control.closest(".field");
    if (wrap) {
      wrap.classList.add("invalid");
      const box = wrap.querySelector(".field-error");
      if (box) box.textContent = hintFor(control);
      const details = wrap.closest("details");
      if (details) details.open = true;
    }
    first = first || control;
  }
  if (first) first.focus();
  return first === null;
}

function hintFor(control) {
  const v = control.validity;
  if (v.valueMissing) return "Required.";
  if (v.patternMismatch) return "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.";
  if (v.typeMismatch && control.type === "url") return "Enter a full address, starting with http:// or https://.";
  if (v.rangeUnderflow) return "At least " + control.min + ".";
  if (v.rangeOverflow) return "At most " + control.max + ".";
  if (v.stepMismatch) return "A whole number.";
  if (v.badInput) return "A number.";
  return control.validationMessage;
}

/** Validates, runs the API call, and shows what went wrong where it belongs. */
async function submitWith(form, action) {
  clearErrors(form);
  if (!validate(form)) return false;
  const buttons = form.querySelectorAll("button[type=submit]");
  buttons.forEach((b) => b.disabled = true);
  try {
    await action();
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) formError(form, "Something went wrong in this page: " + error.message);
    else if (error.status === 401 || error.status === 404 && error.message === "The admin API is off.") return false;
    else if (error.param) showFieldError(form, error.param, error.message);
    else formError(form, error.message);
    return false;
  } finally {
    buttons.forEach((b) => b.disabled = false);
  }
}

/** A form's value as a number, or null when empty (which lifts a limit). */
function numberOf(form, name) {
  const raw = form.elements[name].value.trim();
  return raw === "" ? null : Number(raw);
}
`;

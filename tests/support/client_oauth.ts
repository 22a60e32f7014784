/**
 * What the pinned CLI clients (`cli_clients.ts`) sign in with, read from the
 * installed clients themselves, so a client update that moves an OAuth
 * endpoint, the redirect, the scopes or the client id shows up in a test.
 *
 * - Claude Code ships its JavaScript inside a native (Bun) binary. Its OAuth
 *   module holds one config object (`CLAUDE_AI_AUTHORIZE_URL:"…"`,
 *   `TOKEN_URL:"…"`, `MANUAL_REDIRECT_URL:"…"`, `CLIENT_ID:"…"`) and the scope
 *   constants; the values are taken by their shape next to those names, and
 *   the subscription scopes are the one scope list there holding
 *   `user:inference`, with its variables resolved.
 * - The Codex CLI is a Rust binary whose strings run together, so it is asked
 *   instead: `codex login` prints the authorization URL it would open (client
 *   id, redirect, scope) and is stopped there. Its token URL is the
 *   `https://<that host>/oauth/token` literal in the binary.
 *
 * The binaries are a few hundred MB: they are scanned in chunks, never read
 * whole.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { CLIENTS_DIR } from "./cli_clients.ts";

/** The sign-in settings of one client. */
export interface ClientOAuth {
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  scope: string;
  clientId: string;
}

/** A client's settings, or why they could not be read (a failure, not a skip). */
export type Extracted = { ok: true; values: ClientOAuth } | { ok: false; problem: string };

const URL_SHAPE = /^https?:\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[A-Za-z0-9._~%\/-]*)?$/;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SCOPE_SHAPE = /^(?:user|org):[a-z_:]+$/;

/** The marker of Claude Code's OAuth config object. */
export const CLAUDE_MARKER = 'CLAUDE_AI_AUTHORIZE_URL:"';

/**
 * Reads Claude Code's settings from the text of its OAuth module (from the
 * `// Version:` line before the marker to the `export{` after it).
 */
export function claudeFromModule(module: string): Extracted {
  const problems: string[] = [];
  const property = (name: string, shape: RegExp): string => {
    // `[{,]` keeps CONSOLE_AUTHORIZE_URL from matching CLAUDE_AI_AUTHORIZE_URL, etc.
    const found = new Set(
      [...module.matchAll(new RegExp(`[{,]${name}:"([^"\\\\]*)"`, "g"))].map((m) => m[1]),
    );
    if (found.size !== 1) {
      problems.push(`${name}: ${found.size} distinct values (${[...found].join(", ") || "none"})`);
      return "";
    }
    const [value] = found;
    if (!shape.test(value)) problems.push(`${name}: ${JSON.stringify(value)} has not its shape`);
    return value;
  };
  const values: ClientOAuth = {
    authorizeUrl: property("CLAUDE_AI_AUTHORIZE_URL", URL_SHAPE),
    tokenUrl: property("TOKEN_URL", URL_SHAPE),
    redirectUri: property("MANUAL_REDIRECT_URL", URL_SHAPE),
    clientId: property("CLIENT_ID", UUID_SHAPE),
    scope: "",
  };
  const scopes = subscriptionScopes(module);
  if (typeof scopes === "string") problems.push(scopes);
  else values.scope = scopes.join(" ");
  return problems.length ? { ok: false, problem: problems.join("; ") } : { ok: true, values };
}

/**
 * The scope list holding `user:inference` (with more than that one scope) in
 * the module, its variables resolved through the module's `x="user:…"`
 * constants; a message when there is not exactly one.
 */
function subscriptionScopes(module: string): string[] | string {
  const constants = new Map<string, string>();
  for (const [, name, value] of module.matchAll(/([A-Za-z_$][\w$]*)="([^"]*)"/g)) {
    if (SCOPE_SHAPE.test(value)) constants.set(name, value);
  }
  const lists = new Map<string, string[]>();
  for (const [, body] of module.matchAll(/=\[([^\[\]]*)\]/g)) {
    const elements = body.split(",").map((item) => item.trim());
    const scopes = elements.map((item) => {
      const literal = /^"([^"]*)"$/.exec(item)?.[1];
      return literal !== undefined && SCOPE_SHAPE.test(literal) ? literal : constants.get(item);
    });
    if (scopes.some((scope) => scope === undefined)) continue;
    const list = scopes as string[];
    if (list.length > 1 && list.includes("user:inference")) lists.set(list.join(" "), list);
  }
  if (lists.size === 1) return [...lists.values()][0];
  return `subscription scopes: ${lists.size} lists hold user:inference (${
    [...lists.keys()].join(" | ") || "none"
  })`;
}

/** Reads the settings out of the installed Claude Code binary. */
export async function claudeFromClient(): Promise<Extracted> {
  const path = await firstLarge([
    `${CLIENTS_DIR}/node_modules/@anthropic-ai/claude-code-linux-x64/claude`,
    `${CLIENTS_DIR}/node_modules/@anthropic-ai/claude-code/bin/claude.exe`,
  ]);
  if (!path) return { ok: false, problem: "no Claude Code binary under .tools/clients" };
  const windows = await windowsAround(path, CLAUDE_MARKER, 8_000, 8_000);
  const modules = new Set(windows.map(moduleAround).filter((text) => text !== ""));
  if (modules.size === 0) {
    return { ok: false, problem: `${path}: no OAuth module (${CLAUDE_MARKER}…) found` };
  }
  // The bundle may hold the module more than once; every copy must say the same.
  const results = [...modules].map(claudeFromModule);
  const failed = results.find((result) => !result.ok);
  if (failed) return failed;
  const distinct = new Set(results.map((result) => JSON.stringify(result.ok && result.values)));
  if (distinct.size > 1) {
    return {
      ok: false,
      problem: `copies of the OAuth module disagree: ${[...distinct].join(" | ")}`,
    };
  }
  return results[0];
}

/** The module around the marker that sits in the middle of `window`, or "". */
function moduleAround(window: string): string {
  const middle = window.indexOf(CLAUDE_MARKER);
  const start = window.lastIndexOf("// Version:", middle);
  const end = window.indexOf("export{", middle);
  return start < 0 || end < 0 ? "" : window.slice(start, end);
}

/**
 * Codex's settings from the authorization URL `codex login` printed, and the
 * text of its binary near `/oauth/token`.
 */
export function codexFromOutput(printed: string, nearTokenPath: string[]): Extracted {
  const link = /https:\/\/\S+\/oauth\/authorize\?\S+/.exec(printed)?.[0];
  if (!link) return { ok: false, problem: `codex login printed no authorization URL: ${printed}` };
  const url = new URL(link);
  const tokenUrls = new Set(
    nearTokenPath.flatMap((text) => [...text.matchAll(/https:\/\/[a-z0-9.-]+\/oauth\/token/g)])
      .map((m) => m[0])
      .filter((candidate) => new URL(candidate).host === url.host),
  );
  if (tokenUrls.size !== 1) {
    return {
      ok: false,
      problem: `token URL on ${url.host}: ${tokenUrls.size} candidates (${[...tokenUrls]})`,
    };
  }
  return {
    ok: true,
    values: {
      authorizeUrl: `${url.origin}${url.pathname}`,
      tokenUrl: [...tokenUrls][0],
      redirectUri: url.searchParams.get("redirect_uri") ?? "",
      scope: url.searchParams.get("scope") ?? "",
      clientId: url.searchParams.get("client_id") ?? "",
    },
  };
}

/** Asks the installed Codex CLI (`codex login`, stopped once it printed its URL). */
export async function codexFromClient(): Promise<Extracted> {
  const native = await codexNativeBinary();
  if (!native) return { ok: false, problem: "no Codex native binary under .tools/clients" };
  const printed = await codexLoginOutput(native);
  return codexFromOutput(printed, await windowsAround(native, "/oauth/token", 200, 200));
}

/**
 * What `codex login` printed up to its authorization URL (at most 30 s). The
 * native binary runs directly: killing the npm wrapper would leave it behind.
 */
async function codexLoginOutput(native: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "switchyard-codex-login-" });
  const child = new Deno.Command(native, {
    args: ["login"],
    cwd: home,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: home },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let printed = "";
  const stop = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(stop, 30_000);
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      printed += text;
      if (/\/oauth\/authorize\?\S+\s/.test(printed)) stop();
    }
  };
  try {
    await Promise.all([read(child.stdout), read(child.stderr), child.status]);
  } finally {
    clearTimeout(timer);
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
  return printed;
}

async function codexNativeBinary(): Promise<string | undefined> {
  const scope = `${CLIENTS_DIR}/node_modules/@openai`;
  for (const pkg of await listDir(scope)) {
    if (!pkg.startsWith("codex-")) continue;
    for (const triple of await listDir(`${scope}/${pkg}/vendor`)) {
      const found = await firstLarge([`${scope}/${pkg}/vendor/${triple}/bin/codex`]);
      if (found) return found;
    }
  }
  return undefined;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(path))).map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function firstLarge(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile && info.size > 1024 * 1024) return path;
  }
  return undefined;
}

/**
 * The text (bytes as Latin-1) `before` and `after` every occurrence of
 * `marker` in a file, read in chunks that overlap by a window. The search runs
 * on bytes (`Buffer#indexOf`); only the windows are decoded.
 */
export async function windowsAround(
  path: string,
  marker: string,
  before: number,
  after: number,
): Promise<string[]> {
  const chunkSize = 16 * 1024 * 1024;
  const needle = Buffer.from(marker, "latin1");
  const overlap = before + after + needle.length;
  const windows: string[] = [];
  using file = await Deno.open(path);
  let carry = Buffer.alloc(0);
  let carryStart = 0; // offset in the file of carry[0]
  let seen = -1; // file offset of the last occurrence taken
  for (;;) {
    const chunk = new Uint8Array(chunkSize);
    const read = await readFull(file, chunk);
    const last = read < chunkSize;
    const bytes = Buffer.concat([carry, chunk.subarray(0, read)]);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      // An occurrence too near the end waits for the next chunk, unless the file ends here.
      if (at + needle.length + after > bytes.length && !last) break;
      if (carryStart + at <= seen) continue;
      seen = carryStart + at;
      const start = Math.max(0, at - before);
      windows.push(bytes.toString("latin1", start, at + needle.length + after));
    }
    if (last) break;
    const keep = Math.min(bytes.length, overlap);
    carryStart += bytes.length - keep;
    carry = Buffer.from(bytes.subarray(bytes.length - keep));
  }
  return windows;
}

async function readFull(file: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

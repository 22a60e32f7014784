/**
 * `deno task admin login-codex|login-claude`: signs a subscription in through
 * a running gateway (`POST /admin/oauth/start`, then `/finish`), so the
 * gateway can be on another machine: the address is printed here, opened in
 * any browser, and what the provider hands over is pasted back here.
 *
 * @module
 */

import type { Platform } from "../../lib/config/types.ts";
import { readStdinLine } from "../support/stdin.ts";
import { type Command, numericFields } from "./context.ts";

type Row = Record<string, unknown>;

/** Runs the sign-in for `platform`. */
export async function loginCommand(command: Command, platform: Platform): Promise<void> {
  const { values, io, call, print } = command;
  const body: Row = { platform };
  if (typeof values.id === "string") body.id = values.id;
  for (
    const [flag, field] of [
      ["base-url", "baseUrl"],
      ["authorize-url", "authorizeUrl"],
      ["token-url", "tokenUrl"],
      ["client-id", "clientId"],
    ] as const
  ) {
    if (typeof values[flag] === "string") body[field] = values[flag];
  }
  Object.assign(
    body,
    numericFields(values, [["priority", "priority"], ["concurrency", "concurrency"]], false),
  );
  if (values.passthrough === true) body.passthrough = true;
  body.id ??= `${platform === "openai" ? "codex" : "claude"}-1`;
  const started = await call("POST", "/admin/oauth/start", body) as Row;
  io.err("Open this address in a browser (on any machine) and sign in:");
  io.out(String(started.authorizeUrl));
  io.err(
    platform === "openai"
      ? "Then the browser goes to http://127.0.0.1:1455/auth/callback?code=..., a page that may " +
        "not load: copy that whole address from the address bar and paste it here:"
      : "Then Claude shows a code: copy it and paste it here:",
  );
  const input = await (io.readLine ?? readStdinLine)();
  const row = await call("POST", "/admin/oauth/finish", { flow: started.flow, input }) as Row;
  print(row, () => [
    row.created
      ? `added account "${row.id}" (${
        platform === "openai" ? "Codex" : "Claude"
      }); list it in a group to use it`
      : `signed account "${row.id}" in again: ${row.state}`,
  ]);
}

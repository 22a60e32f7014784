/**
 * What a gateway prints once it listens: the dashboard's address always, and
 * on a first run the admin token it made (once: only its hash is kept), how
 * to get a new one, that it started with no config, and where it put the
 * secret it generated. Pure, so the wording is tested directly.
 *
 * @module
 */

/** What {@linkcode welcomeLines} says. */
export interface Welcome {
  /** Where the gateway answers, e.g. `http://localhost:8787`. */
  origin: string;
  /** Where the admin token comes from: the environment, KV, or nowhere (`SWITCHYARD_ADMIN=off`). */
  admin: "env" | "kv" | "off";
  /** The token this start made, to print once. */
  createdToken?: string;
  /** No config file was found: the gateway started empty. */
  emptyConfig: boolean;
  /** The generated encryption secret was written here on this start. */
  createdSecretAt?: string;
}

/** The lines printed once the gateway listens. Pure, so the wording is tested directly. */
export function welcomeLines(welcome: Welcome): string[] {
  const lines: string[] = [];
  if (welcome.emptyConfig) {
    lines.push(
      "switchyard: no ./switchyard.json: starting with no accounts, groups or keys (add them in the dashboard)",
    );
  }
  if (welcome.createdSecretAt) {
    lines.push(
      `switchyard: made an encryption secret for stored accounts in ${welcome.createdSecretAt} ` +
        "(keep it with the KV file; SWITCHYARD_SECRET overrides it)",
    );
  }
  if (welcome.admin === "off") {
    lines.push("switchyard: the admin API and the dashboard are off (SWITCHYARD_ADMIN=off)");
    return lines;
  }
  lines.push(`switchyard: dashboard at ${welcome.origin}/dashboard`);
  if (welcome.createdToken) {
    lines.push(
      `switchyard: admin token (shown this once; only its hash is kept): ${welcome.createdToken}`,
      "switchyard: lost it? `deno task admin reset-token` makes a new one (it needs the KV file)",
    );
  }
  return lines;
}

/** `http://HOST:PORT` for humans: a wildcard address becomes `localhost`. */
export function originFor(hostname: string, port: number): string {
  const host = hostname === "0.0.0.0" || hostname === "::" ? "localhost" : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

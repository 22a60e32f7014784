/**
 * The admin token of a gateway started without `SWITCHYARD_ADMIN_TOKEN`: made
 * on the first start, printed once, and stored only as its SHA-256 digest in
 * KV under `["switchyard", "admin-token"]`. Every process on the KV checks
 * admin requests against that record, so `deno task admin reset-token` (which
 * opens the KV itself, and so needs access to the KV file) takes effect on
 * every running gateway at its next admin request.
 *
 * @module
 */

import { randomToken, sha256Hex } from "../auth/secrets.ts";
import { ROOT, withLockRetry } from "../state/kv.ts";

/** Where the digest lives. */
export const ADMIN_TOKEN_KEY: Deno.KvKey = [ROOT, "admin-token"];

/** Admin tokens start with this, so one pasted in the wrong place is recognisable. */
export const ADMIN_TOKEN_PREFIX = "sya-";

interface StoredAdminToken {
  digest: string;
  createdAt: number;
}

/** The KV-stored admin token. */
export class AdminTokenStore {
  constructor(private readonly kv: Deno.Kv) {}

  /** The digest admin requests are checked against; `undefined` before {@linkcode ensure}. */
  async digest(): Promise<string | undefined> {
    const entry = await withLockRetry(() => this.kv.get<StoredAdminToken>(ADMIN_TOKEN_KEY));
    return entry.value?.digest;
  }

  /**
   * Makes a token when KV has none. Resolves to the new token (to print once),
   * or `undefined` when one exists. Of processes starting together, one wins.
   */
  async ensure(now = Date.now()): Promise<string | undefined> {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const record: StoredAdminToken = { digest: sha256Hex(token), createdAt: now };
    const result = await withLockRetry(() =>
      this.kv.atomic().check({ key: ADMIN_TOKEN_KEY, versionstamp: null })
        .set(ADMIN_TOKEN_KEY, record).commit()
    );
    return result.ok ? token : undefined;
  }

  /** Replaces the token; the old one stops working at once. */
  async reset(now = Date.now()): Promise<string> {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const record: StoredAdminToken = { digest: sha256Hex(token), createdAt: now };
    await withLockRetry(() => this.kv.set(ADMIN_TOKEN_KEY, record));
    return token;
  }
}

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

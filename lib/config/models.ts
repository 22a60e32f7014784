/**
 * Model routing, pure: which model names an account serves and under which
 * upstream name, a group's aliases, and the allow-lists on groups and keys.
 * Patterns may hold `*` (any run of characters): `"claude-*"`.
 *
 * - `models` on an account: a list of names it serves, or a map from the
 *   client's name to the upstream's (`{"gpt-5": "gpt-5-codex"}`); a map's
 *   value `"*"` keeps the client's name. Without `models` an account serves
 *   any name, passed through.
 * - `models` on a group: aliases, client name to the name the accounts see.
 * - `allowModels` on a group or a key: the names its clients may ask for.
 *
 * @module
 */

/** An account's models: names (patterns) it serves, or client name (pattern) to upstream name. */
export type AccountModels = readonly string[] | Readonly<Record<string, string>>;

/** Does `pattern` (with `*` wildcards) match `name`? */
export function modelMatches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const parts = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(name);
}

/** The upstream name of `name` on an account with `models`, or `null` when it does not serve it. */
export function upstreamModel(models: AccountModels | undefined, name: string): string | null {
  if (models === undefined) return name;
  if (isList(models)) return models.some((pattern) => modelMatches(pattern, name)) ? name : null;
  const exact = models[name];
  const target = exact ??
    Object.entries(models).find(([pattern]) => modelMatches(pattern, name))?.[1];
  if (target === undefined) return null;
  return target === "*" ? name : target;
}

/** The name a group's aliases turn `name` into (itself without an alias). */
export function resolveAlias(
  aliases: Readonly<Record<string, string>> | undefined,
  name: string,
): string {
  if (!aliases) return name;
  return aliases[name] ??
    Object.entries(aliases).find(([pattern]) => modelMatches(pattern, name))?.[1] ?? name;
}

/** May a client with this allow-list ask for `name`? */
export function modelAllowed(allow: readonly string[] | undefined, name: string): boolean {
  return allow === undefined || allow.some((pattern) => modelMatches(pattern, name));
}

/** The client-facing names an account's `models` lists (wildcards left out). */
export function listedModels(models: AccountModels | undefined): string[] {
  if (models === undefined) return [];
  const names = isList(models) ? models : Object.keys(models);
  return names.filter((name) => !name.includes("*"));
}

function isList(models: AccountModels): models is readonly string[] {
  return Array.isArray(models);
}

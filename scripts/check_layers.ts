/**
 * `deno task check-layers` (part of `deno task test`): fails when a module
 * in `lib/` imports from a layer above its own. Layers, bottom to top:
 *
 * 0. primitives: `http/`, `kv/`, `config/`, `crypto/`, `log.ts`, `log_sink.ts`
 * 1. accounts, providers, protocols, usage metering, observation:
 *    `accounts/`, `providers/`, `protocols/`, `usage/`, `observe/`
 * 2. planning, leases, failover: `planning/`, `leases/`, `failover/`
 * 3. the request pipeline: `pipeline/`
 * 4. routes: `routes/`
 * 5. the app and its entry points: `app.ts`, `boot.ts`, `listen.ts`, `serve.ts`,
 *    `welcome.ts`
 *
 * A module may import from its own layer and any layer below. Tests
 * (`*_test.ts`, `testdata/`) may import anything.
 *
 * @module
 */

const LAYERS: readonly (readonly string[])[] = [
  ["http/", "kv/", "config/", "crypto/", "log.ts", "log_sink.ts"],
  ["accounts/", "providers/", "protocols/", "usage/", "observe/"],
  ["planning/", "leases/", "failover/"],
  ["pipeline/"],
  ["routes/"],
  ["app.ts", "boot.ts", "listen.ts", "serve.ts", "welcome.ts"],
];

const LIB = new URL("../lib/", import.meta.url);

/** The layer of a path relative to `lib/`, or `undefined` when no layer claims it. */
export function layerOf(path: string): number | undefined {
  const index = LAYERS.findIndex((layer) =>
    layer.some((prefix) => prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix)
  );
  return index < 0 ? undefined : index;
}

/** The relative imports of a module's source text. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

async function* modules(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name !== "testdata") yield* modules(new URL(`${entry.name}/`, dir), `${path}/`);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      yield path;
    }
  }
}

if (import.meta.main) {
  const problems: string[] = [];
  let count = 0;
  for await (const path of modules(LIB)) {
    count++;
    const layer = layerOf(path);
    if (layer === undefined) {
      problems.push(`lib/${path}: in no layer (add its folder to scripts/check_layers.ts)`);
      continue;
    }
    const source = await Deno.readTextFile(new URL(path, LIB));
    for (const spec of importsOf(source)) {
      const target = new URL(spec, new URL(path, LIB)).href.slice(LIB.href.length);
      const targetLayer = layerOf(target);
      if (targetLayer !== undefined && targetLayer > layer) {
        problems.push(
          `lib/${path} (layer ${layer}) imports lib/${target} (layer ${targetLayer}): ` +
            "a module may import only from its own layer or below",
        );
      }
    }
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`check_layers: ${problems.length} problem(s) in ${count} modules`);
    Deno.exit(1);
  }
  console.log(`check_layers: ${count} modules, every import points down or across`);
}

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
 * 5. the app and its entry points: `app.ts`, `app/`, `boot.ts`, `early_signal.ts`, `listen.ts`, `serve.ts`,
 *    `welcome.ts`
 *
 * A module may import from its own layer and any layer below. Tests
 * (`*_test.ts`, `testdata/`) may import anything.
 *
 * It also fails when modules of `lib/` import each other in a circle (type
 * imports included: a circle of files is one concept spread over two homes),
 * printing each circle as `lib/a.ts -> lib/b.ts -> lib/a.ts`.
 *
 * @module
 */

const LAYERS: readonly (readonly string[])[] = [
  ["http/", "kv/", "config/", "crypto/", "log.ts", "log_sink.ts"],
  ["accounts/", "providers/", "protocols/", "usage/", "observe/"],
  ["planning/", "leases/", "failover/"],
  ["pipeline/"],
  ["routes/"],
  ["app.ts", "app/", "boot.ts", "early_signal.ts", "listen.ts", "serve.ts", "welcome.ts"],
];

const LIB = new URL("../lib/", import.meta.url);

/** The layer of a path relative to `lib/`, or `undefined` when no layer claims it. */
export function layerOf(path: string): number | undefined {
  const index = LAYERS.findIndex((layer) =>
    layer.some((prefix) => prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix)
  );
  return index < 0 ? undefined : index;
}

/** The relative imports of a module's source text, side-effect imports (`import "./x.ts"`) too. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:^|\n)\s*(?:(?:import|export)\b[^"';]*?from\s*|import\s*)["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** An import circle: a path that starts and ends at one module, and every module tangled with it. */
export interface Circle {
  path: string[];
  /** The strongly connected group the path runs through (each reaches each), sorted. */
  group: string[];
}

/**
 * The import circles in a graph of modules (module -> the modules it
 * imports): one per strongly connected group of more than one module, or a
 * module that imports itself, with the shortest path from the group's first
 * module (in sort order) back to it. Found with Tarjan's algorithm.
 */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): Circle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || (graph.get(node) ?? []).includes(node)) groups.push(group.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return groups.map((group) => ({ path: circleThrough(graph, group), group }))
    .sort((a, b) => a.group[0] < b.group[0] ? -1 : a.group[0] > b.group[0] ? 1 : 0);
}

/** The shortest path from a group's first module back to itself, staying inside the group. */
function circleThrough(graph: ReadonlyMap<string, readonly string[]>, group: string[]): string[] {
  const members = new Set(group);
  const start = group[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = cameFrom.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
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
  const graph = new Map<string, string[]>();
  let count = 0;
  for await (const path of modules(LIB)) {
    count++;
    const layer = layerOf(path);
    if (layer === undefined) {
      problems.push(`lib/${path}: in no layer (add its folder to scripts/check_layers.ts)`);
      continue;
    }
    const source = await Deno.readTextFile(new URL(path, LIB));
    const targets: string[] = [];
    graph.set(path, targets);
    for (const spec of importsOf(source)) {
      const target = new URL(spec, new URL(path, LIB)).href.slice(LIB.href.length);
      targets.push(target);
      const targetLayer = layerOf(target);
      if (targetLayer !== undefined && targetLayer > layer) {
        problems.push(
          `lib/${path} (layer ${layer}) imports lib/${target} (layer ${targetLayer}): ` +
            "a module may import only from its own layer or below",
        );
      }
    }
  }
  for (const { path, group } of cyclesOf(graph)) {
    const inLib = (paths: string[]) => paths.map((module) => `lib/${module}`);
    let problem = `import circle: ${inLib(path).join(" -> ")}`;
    if (group.length > path.length - 1) {
      problem += ` (tangled together: ${inLib(group).join(", ")})`;
    }
    problems.push(problem);
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`check_layers: ${problems.length} problem(s) in ${count} modules`);
    Deno.exit(1);
  }
  console.log(`check_layers: ${count} modules, every import points down or across, no circles`);
}

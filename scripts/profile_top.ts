/**
 * The top of a V8 CPU profile (`deno run --cpu-prof` writes `.cpuprofile`
 * files), largest first, as a share of all samples and of the samples that
 * were not idle: self time per function, per source file, and charged to the
 * innermost project function on the stack (which of our code caused the time
 * spent in the runtime below it). Deno's own `ext:` code is bundled on one
 * line, so its functions are told apart by column.
 * `deno run --allow-read scripts/profile_top.ts <file.cpuprofile> [N]`;
 * `deno task bench --profile DIR` prints the same for each load phase.
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame & { columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function (or file), in microseconds. */
export interface Entry {
  name: string;
  micros: number;
}

const IDLE = new Set(["(idle)", "(program)"]);
const ROOT = new URL("../", import.meta.url).href;

/** Self time per function, per file and per innermost project function, largest first. */
export function selfTimes(
  profile: CpuProfile,
): { functions: Entry[]; files: Entry[]; project: Entry[] } {
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const project = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, micros: number) =>
    map.set(key, (map.get(key) ?? 0) + micros);
  for (const node of profile.nodes) {
    const micros = byNode.get(node.id) ?? 0;
    if (micros === 0) continue;
    add(functions, frameName(node), micros);
    add(files, shorten(node.callFrame.url) || node.callFrame.functionName, micros);
    if (IDLE.has(node.callFrame.functionName)) continue;
    let owner: ProfileNode | undefined = node;
    while (owner && !isProject(owner.callFrame.url)) owner = nodes.get(parents.get(owner.id)!);
    add(
      project,
      owner ? frameName(owner) : "(no project frame: event loop, timers, promise jobs)",
      micros,
    );
  }
  const sorted = (map: Map<string, number>) =>
    [...map].map(([name, micros]) => ({ name, micros })).sort((a, b) => b.micros - a.micros);
  return { functions: sorted(functions), files: sorted(files), project: sorted(project) };
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const file = shorten(url);
  if (!file) return functionName;
  const column = file.startsWith("ext:") ? `:${columnNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}${column}`;
}

function isProject(url: string): boolean {
  return url.startsWith(ROOT) && !url.includes("/node_modules/");
}

/** Prints the top `count` functions and files of the profile at `path`; returns its busy µs. */
export async function printTop(path: string, count: number): Promise<number> {
  const profile = JSON.parse(await Deno.readTextFile(path)) as CpuProfile;
  const { functions, files, project } = selfTimes(profile);
  const total = functions.reduce((sum, entry) => sum + entry.micros, 0);
  const busy = functions.filter((entry) => !IDLE.has(entry.name))
    .reduce((sum, entry) => sum + entry.micros, 0);
  console.log(
    `${path}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle ` +
      `(self time; % of all / % of not idle)`,
  );
  const line = (entry: Entry) =>
    `  ${(entry.micros / 1000).toFixed(0).padStart(7)} ms ${pct(entry.micros, total)} ` +
    `${IDLE.has(entry.name) ? "      " : pct(entry.micros, busy)}  ${entry.name}`;
  console.log("top functions:");
  functions.slice(0, count).forEach((entry) => console.log(line(entry)));
  console.log("top files:");
  files.slice(0, Math.ceil(count / 2)).forEach((entry) => console.log(line(entry)));
  console.log("charged to the innermost project function on the stack:");
  project.slice(0, count).forEach((entry) => console.log(line(entry)));
  return busy;
}

function pct(part: number, whole: number): string {
  return `${(part / whole * 100).toFixed(1).padStart(5)}%`;
}

/** Project files relative to the project; npm packages by name; Deno's own as `ext:`. */
function shorten(url: string): string {
  if (!url) return "";
  const npm = /\/npm\/[^/]+\/((?:@[^/]+\/)?[^/]+\/[^/]+)\/(.*)$/.exec(url);
  if (npm) return `npm:${npm[1].replace(/\/([^/]+)$/, "@$1")}/${npm[2]}`;
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
}

if (import.meta.main) {
  const [path, count = "15"] = Deno.args;
  if (!path) {
    console.error("usage: deno run --allow-read scripts/profile_top.ts <file.cpuprofile> [N]");
    Deno.exit(2);
  }
  await printTop(path, Number(count));
}

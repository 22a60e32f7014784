/** The layer checker: which layer a path is in, and which imports it reads. */

import assert from "node:assert/strict";
import { cyclesOf, importsOf, layerOf } from "./check_layers.ts";

Deno.test("paths map to their layers, bottom to top", () => {
  assert.equal(layerOf("http/sse.ts"), 0);
  assert.equal(layerOf("log.ts"), 0);
  assert.equal(layerOf("accounts/health.ts"), 1);
  assert.equal(layerOf("protocols/chat/events.ts"), 1);
  assert.equal(layerOf("failover/loop.ts"), 2);
  assert.equal(layerOf("pipeline/api.ts"), 3);
  assert.equal(layerOf("routes/routes.ts"), 4);
  assert.equal(layerOf("app.ts"), 5);
  assert.equal(layerOf("elsewhere/x.ts"), undefined);
});

Deno.test("relative imports and re-exports are read; packages and comments are not", () => {
  const source = [
    'import { a } from "../http/errors.ts";',
    'import type { B } from "./b.ts";',
    "import {\n  c,\n  d,\n} from '../kv/keys.ts';",
    'export { e } from "./e.ts";',
    'import "./side_effect.ts";',
    'import { f } from "@logtape/logtape";',
    ' * see `import("../x.ts")` in a comment',
  ].join("\n");
  assert.deepEqual(importsOf(source), [
    "../http/errors.ts",
    "./b.ts",
    "../kv/keys.ts",
    "./e.ts",
    "./side_effect.ts",
  ]);
});

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

Deno.test("import circles: none, two files, a longer loop, a self-import, two groups", () => {
  const cases: { name: string; edges: Record<string, string[]>; circles: string[][] }[] = [
    {
      name: "a tree",
      edges: { "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] },
      circles: [],
    },
    {
      name: "two files",
      edges: { "b.ts": ["a.ts"], "a.ts": ["b.ts"] },
      circles: [["a.ts", "b.ts", "a.ts"]],
    },
    {
      name: "a loop of three behind a tail",
      edges: { "z.ts": ["c.ts"], "c.ts": ["d.ts"], "d.ts": ["e.ts"], "e.ts": ["c.ts"] },
      circles: [["c.ts", "d.ts", "e.ts", "c.ts"]],
    },
    { name: "a module importing itself", edges: { "a.ts": ["a.ts"] }, circles: [["a.ts", "a.ts"]] },
    {
      name: "two separate groups, in order",
      edges: { "y.ts": ["x.ts"], "x.ts": ["y.ts"], "b.ts": ["a.ts"], "a.ts": ["b.ts", "x.ts"] },
      circles: [["a.ts", "b.ts", "a.ts"], ["x.ts", "y.ts", "x.ts"]],
    },
    { name: "imports outside the graph are ignored", edges: { "a.ts": ["gone.ts"] }, circles: [] },
  ];
  for (const { name, edges, circles } of cases) {
    assert.deepEqual(cyclesOf(graphOf(edges)).map((circle) => circle.path), circles, name);
  }
});

Deno.test("a registry tangled with every provider reports one circle and the whole group", () => {
  const [circle, ...rest] = cyclesOf(graphOf({
    "providers/provider.ts": ["providers/openai.ts", "providers/claude.ts"],
    "providers/openai.ts": ["providers/provider.ts"],
    "providers/claude.ts": ["providers/provider.ts"],
  }));
  assert.deepEqual(rest, []);
  assert.deepEqual(circle.path, [
    "providers/claude.ts",
    "providers/provider.ts",
    "providers/claude.ts",
  ]);
  assert.deepEqual(circle.group, [
    "providers/claude.ts",
    "providers/openai.ts",
    "providers/provider.ts",
  ]);
});

Deno.test("the checker fails on a circle in lib/ and prints it", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/scripts`);
    await Deno.mkdir(`${root}/lib/providers`, { recursive: true });
    await Deno.copyFile(
      new URL("./check_layers.ts", import.meta.url),
      `${root}/scripts/check_layers.ts`,
    );
    await Deno.writeTextFile(`${root}/lib/providers/provider.ts`, 'import { a } from "./a.ts";\n');
    await Deno.writeTextFile(
      `${root}/lib/providers/a.ts`,
      'import type { P } from "./provider.ts";\n',
    );
    await Deno.writeTextFile(`${root}/lib/log.ts`, "export const x = 1;\n");
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-config", "--allow-read", `${root}/scripts/check_layers.ts`],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const failed = await run();
    assert.equal(failed.code, 1);
    assert.match(
      new TextDecoder().decode(failed.stderr),
      /import circle: lib\/providers\/a\.ts -> lib\/providers\/provider\.ts -> lib\/providers\/a\.ts/,
    );
    await Deno.writeTextFile(`${root}/lib/providers/a.ts`, "export type P = string;\n");
    const passed = await run();
    assert.equal(passed.code, 0, new TextDecoder().decode(passed.stderr));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

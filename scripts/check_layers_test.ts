/** The layer checker: which layer a path is in, and which imports it reads. */

import assert from "node:assert/strict";
import { importsOf, layerOf } from "./check_layers.ts";

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
    'import { f } from "@logtape/logtape";',
    ' * see `import("../x.ts")` in a comment',
  ].join("\n");
  assert.deepEqual(importsOf(source), ["../http/errors.ts", "./b.ts", "../kv/keys.ts", "./e.ts"]);
});

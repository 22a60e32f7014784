/**
 * `deno task prices`: regenerates `lib/usage/prices_snapshot.json`, the
 * gateway's price table, from Pydantic's maintained price data (the npm
 * package `@pydantic/genai-prices`, pinned below). The package's tarball is
 * fetched from the npm registry, checked against the registry's integrity
 * hash, unpacked in memory, and its own `findProvider` reads the OpenAI and
 * Anthropic models; nothing is typed by hand. The gateway never fetches
 * prices at start-up: it reads the snapshot committed beside its code.
 *
 * Usage: `deno task prices [version]` (default: the pinned version).
 */

import { type SnapshotModel, snapshotModel } from "./prices_convert.ts";

const PACKAGE = "@pydantic/genai-prices";
const PINNED = "0.1.8";
const PROVIDERS = ["openai", "anthropic"];
const OUT = new URL("../lib/usage/prices_snapshot.json", import.meta.url);

async function main(): Promise<void> {
  const version = Deno.args[0] ?? PINNED;
  const meta = await (await fetch(`https://registry.npmjs.org/${PACKAGE}/${version}`)).json();
  const tarball: string = meta.dist.tarball;
  const bytes = new Uint8Array(await (await fetch(tarball)).arrayBuffer());
  await checkIntegrity(bytes, meta.dist.integrity);
  const tar = await gunzip(bytes);
  const code = fileInTar(tar, "package/dist/index.js");
  const dir = await Deno.makeTempDir({ prefix: "switchyard-prices-" });
  try {
    const module = `${dir}/index.js`;
    await Deno.writeFile(module, code);
    const prices = await import(`file://${module}`);
    const today = new Date().toISOString().slice(0, 10);
    const models: SnapshotModel[] = [];
    for (const id of PROVIDERS) {
      const provider = prices.findProvider({ providerId: id });
      if (!provider) throw new Error(`${PACKAGE}@${version} has no provider "${id}"`);
      for (const model of provider.models) {
        const converted = snapshotModel(id, model, today);
        if (converted) models.push(converted);
      }
    }
    const snapshot = {
      source: `npm:${PACKAGE}@${version}`,
      homepage: "https://github.com/pydantic/genai-prices",
      tarball,
      integrity: meta.dist.integrity,
      date: today,
      unit: "USD per 1M tokens",
      models,
    };
    await Deno.writeTextFile(OUT, JSON.stringify(snapshot, null, 2) + "\n");
    console.log(`prices: ${models.length} models from ${PACKAGE}@${version} -> ${OUT.pathname}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function checkIntegrity(bytes: Uint8Array<ArrayBuffer>, integrity: string): Promise<void> {
  const [algorithm, expected] = integrity.split("-", 2);
  if (algorithm !== "sha512") throw new Error(`unexpected integrity ${integrity}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  const actual = btoa(String.fromCharCode(...digest));
  if (actual !== expected) throw new Error("tarball integrity check failed");
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One file of a ustar archive (512-byte headers, octal sizes, data padded to 512). */
function fileInTar(tar: Uint8Array, wanted: string): Uint8Array {
  const text = new TextDecoder();
  const field = (at: number, length: number) =>
    text.decode(tar.subarray(at, at + length)).replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= tar.length;) {
    const name = field(at, 100);
    if (!name) break;
    const prefix = field(at + 345, 155);
    const size = parseInt(field(at + 124, 12).trim(), 8);
    const path = prefix ? `${prefix}/${name}` : name;
    if (path === wanted) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} is not in the package`);
}

if (import.meta.main) await main();

import assert from "node:assert/strict";
import { compareBytes, decodeKey, encodeKey, KeyCodecError } from "./key_codec.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("key codec: each part type encodes as Deno KV's tuple encoding and decodes back", () => {
  const table: [Deno.KvKey, string][] = [
    [[], ""],
    [["a"], "02 61 00"],
    [["a\0b"], "02 61 00 ff 62 00"],
    [[new Uint8Array([0, 1])], "01 00 ff 01 00"],
    [[0n], "14"],
    [[1n], "15 01"],
    [[256n], "16 01 00"],
    [[-1n], "13 fe"],
    [[-256n], "12 fe ff"],
    [[2n ** 64n], "1d 09 01 00 00 00 00 00 00 00 00"],
    [[-(2n ** 64n)], "0b f6 fe ff ff ff ff ff ff ff ff"],
    [[1], "21 bf f0 00 00 00 00 00 00"],
    [[-1], "21 40 0f ff ff ff ff ff ff"],
    [[0], "21 80 00 00 00 00 00 00 00"],
    [[false], "26"],
    [[true], "27"],
    [["x", 1n, true], "02 78 00 15 01 27"],
  ];
  for (const [key, expected] of table) {
    assert.equal(hex(encodeKey(key)), expected, Deno.inspect(key));
    assert.deepEqual(decodeKey(encodeKey(key)), key);
  }
});

Deno.test("key codec: byte order is key order within and across types", () => {
  const ordered: Deno.KvKey[] = [
    [new Uint8Array([])],
    [new Uint8Array([0])],
    [""],
    ["a"],
    ["a", 1n],
    ["ab"],
    [-(2n ** 70n)],
    [-300n],
    [-1n],
    [0n],
    [1n],
    [2n ** 70n],
    [-Infinity],
    [-1.5],
    [-0],
    [0],
    [1e-300],
    [2],
    [Infinity],
    [NaN],
    [false],
    [true],
  ];
  for (let i = 1; i < ordered.length; i++) {
    const a = encodeKey(ordered[i - 1]);
    const b = encodeKey(ordered[i]);
    assert.ok(
      compareBytes(a, b) < 0,
      `${Deno.inspect(ordered[i - 1])} < ${Deno.inspect(ordered[i])}`,
    );
  }
});

Deno.test("key codec: anything but exactly one key is a KeyCodecError", () => {
  const table: [string, number[]][] = [
    ["unterminated string", [0x02, 0x61]],
    ["trailing 00", [0x02, 0x61, 0x00, 0x00]],
    ["trailing ff", [0x02, 0x61, 0x00, 0xff]],
    ["cut bigint", [0x16, 0x01]],
    ["cut double", [0x21, 0x00]],
    ["unknown tag", [0x05]],
    ["bad utf-8", [0x02, 0xc3, 0x00]],
  ];
  for (const [what, bytes] of table) {
    assert.throws(() => decodeKey(Uint8Array.from(bytes)), KeyCodecError, what);
  }
});

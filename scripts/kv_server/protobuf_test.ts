import assert from "node:assert/strict";
import { bytesOf, intOf, ProtobufError, ProtoWriter, readFields, varintsOf } from "./protobuf.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("protobuf: varint fields encode as the protobuf spec's examples", () => {
  const table: [number | bigint | boolean, string][] = [
    [1, "08 01"],
    [150, "08 96 01"],
    [300, "08 ac 02"],
    [true, "08 01"],
    [2 ** 32, "08 80 80 80 80 10"],
    [-1, "08 ff ff ff ff ff ff ff ff ff 01"],
    [1_700_000_000_000, "08 80 d0 95 ff bc 31"],
  ];
  for (const [value, expected] of table) {
    const bytes = new ProtoWriter().int(1, value).finish();
    assert.equal(hex(bytes), expected, `${value}`);
    const [field] = [...readFields(bytes)];
    assert.equal(intOf(field), typeof value === "boolean" ? 1 : Number(value));
  }
});

Deno.test("protobuf: defaults are left out, except messages asked for", () => {
  const bytes = new ProtoWriter().int(1, 0).int(2, false).bytes(3, new Uint8Array(0))
    .bytes(4, new Uint8Array(0), true).finish();
  assert.equal(hex(bytes), "22 00");
});

Deno.test("protobuf: length-delimited, packed and nested fields read back; unknown wire types 1 and 5 skip", () => {
  const inner = new ProtoWriter().bytes(1, Uint8Array.from([7, 8])).finish();
  const bytes = new ProtoWriter().bytes(2, inner).packed(4, [1, 300, 0]).finish();
  const withFixed = Uint8Array.from([...bytes, 0x29, 1, 0, 0, 0, 0, 0, 0, 0, 0x35, 2, 0, 0, 0]);
  const fields = [...readFields(withFixed)];
  assert.deepEqual(fields.map((f) => [f.number, f.wireType]), [[2, 2], [4, 2], [5, 1], [6, 5]]);
  assert.deepEqual([...readFields(bytesOf(fields[0]))].map((f) => [...f.bytes]), [[7, 8]]);
  assert.deepEqual(varintsOf(fields[1]), [1n, 300n, 0n]);
  assert.equal(fields[2].int, 1n);
  assert.equal(fields[3].int, 2n);
  // An unpacked repeated varint reads the same way.
  assert.deepEqual(varintsOf([...readFields(Uint8Array.from([0x20, 5]))][0]), [5n]);
});

Deno.test("protobuf: malformed input is a ProtobufError, never a crash", () => {
  const table: [string, number[]][] = [
    ["truncated varint", [0x08, 0x96]],
    ["truncated bytes", [0x12, 0x05, 1, 2]],
    ["field 0", [0x00, 0x01]],
    ["wire type 3", [0x0b]],
    ["overlong varint", [0x08, ...Array(11).fill(0xff)]],
    ["truncated fixed64", [0x09, 1, 2]],
  ];
  for (const [what, bytes] of table) {
    assert.throws(() => [...readFields(Uint8Array.from(bytes))], ProtobufError, what);
  }
  const varint = [...readFields(Uint8Array.from([0x08, 1]))][0];
  assert.throws(() => bytesOf(varint), ProtobufError);
  const bytes = [...readFields(Uint8Array.from([0x0a, 0]))][0];
  assert.throws(() => intOf(bytes), ProtobufError);
});

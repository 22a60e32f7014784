/** The stored-object ids a body names, wherever they sit, and what is not one. */

import assert from "node:assert/strict";
import type { JsonObject } from "./json.ts";
import { type StoredReference, storedReferences } from "./stored_refs.ts";

/** The references in `text`, parsed as the gateway parses it. */
const refs = (text: string) =>
  storedReferences(JSON.parse(text) as JsonObject, text).map((found: StoredReference) =>
    `${found.field} ${found.kind} ${found.id ?? "?"}`
  );

Deno.test("storedReferences: what points at an account's stored objects", () => {
  const cases: [text: string, found: string[]][] = [
    ['{"model":"m","input":"hi"}', []],
    ['{"conversation":"conv_1"}', ["conversation conversation conv_1"]],
    ['{"conversation":{"id":"conv_1"}}', ["conversation conversation conv_1"]],
    ['{"conversation":null}', []],
    ['{"conversation":7}', ["conversation conversation ?"]],
    ['{"input":[{"type":"item_reference","id":"msg_1"}]}', ["input[0] item msg_1"]],
    ['{"input":[{"id":"msg_1"}]}', ["input[0] item msg_1"]],
    ['{"input":[{"type":null,"id":"msg_1"}]}', ["input[0] item msg_1"]],
    [
      '{"input":[{"role":"user","content":"hi"},{"type":"message","role":"user","content":"x"}]}',
      [],
    ],
    [
      '{"input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}',
      ["input[0].content[0].file_id file file-1"],
    ],
    [
      '{"input":[{"role":"user","content":[{"type":"input_image","fil\\u0065_id":"file-2"}]}]}',
      ["input[0].content[0].file_id file file-2"],
    ],
    ['{"input":[{"role":"user","content":[{"type":"input_file","file_id":null}]}]}', []],
    [
      '{"tools":[{"type":"file_search","vector_store_ids":["vs_1","vs_2"]}]}',
      [
        "tools[0].vector_store_ids vector_store vs_1",
        "tools[0].vector_store_ids vector_store vs_2",
      ],
    ],
    ['{"tools":[{"type":"code_interpreter","container":"cntr_1"}]}', [
      "tools[0].container container cntr_1",
    ]],
    [
      '{"tools":[{"type":"code_interpreter","container":{"type":"auto","file_ids":["file-3"]}}]}',
      ["tools[0].container.file_ids file file-3"],
    ],
    ['{"container":{"id":"container_1"}}', ["container.id container container_1"]],
    [
      '{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"file","file_id":"file_4"}}]}]}',
      ["messages[0].content[0].source.file_id file file_4"],
    ],
    [
      '{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-5"}}]}]}',
      ["messages[0].content[0].file.file_id file file-5"],
    ],
    // Free-form JSON a client writes is not a reference: schemas, metadata, tool arguments.
    [
      '{"tools":[{"type":"function","name":"f","parameters":{"properties":{"file_id":{"type":"string"}}}}]}',
      [],
    ],
    ['{"text":{"format":{"type":"json_schema","schema":{"container":{"type":"string"}}}}}', []],
    ['{"metadata":{"file_id":"file-6"}}', []],
    [
      '{"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"file_id":"x"}}]}]}',
      [],
    ],
    ['{"input":[{"role":"user","content":"what is \\"file_id\\": \\"file-7\\"?"}]}', []],
  ];
  for (const [text, found] of cases) assert.deepEqual(refs(text), found, text);
});

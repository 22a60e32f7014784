/**
 * `deno task admin accounts test`: one account (`accounts test <id>`) or
 * every account (`accounts test --all`, the console's **Test all** from a
 * terminal) through `POST /admin/accounts/{id}/test`. One line per account
 * with ok or FAILED, the status and the latency; exit 1 when any failed.
 *
 * @module
 */

import { CliError, type Command, need } from "./context.ts";

type Row = Record<string, unknown>;

/** How many accounts `--all` tests at once: a few, so a large pool does not wait on each in turn. */
const AT_ONCE = 4;

/** The account test commands, merged into `COMMANDS`. */
export const ACCOUNT_TEST_COMMANDS: Record<string, (command: Command) => Promise<void>> = {
  async "accounts test"(command) {
    const { args, values, call, print } = command;
    if (values.all === true) {
      if (args.length > 0) throw new CliError("give an account id or --all, not both", 2);
      return await testAll(command);
    }
    const id = need("<id>", args[0]);
    const result = await call("POST", testPath(id), testBody(command)) as Row;
    print(result, () => [testLine(id, result)]);
    if (result.ok !== true) throw new CliError(`the test of account "${id}" failed`, 1);
  },
};

/** Tests every account listed by `GET /admin/accounts`, a few at a time; lines in list order. */
async function testAll(command: Command): Promise<void> {
  const { call, print } = command;
  const ids = (await call("GET", "/admin/accounts") as Row[]).map((row) => String(row.id));
  const body = testBody(command);
  const results: Row[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const index = next++;
      results[index] = await call("POST", testPath(ids[index]), body).then(
        (result) => result as Row,
        // The API refused this one (the account was removed meanwhile, say): a failed test.
        (error: unknown) => ({ ok: false, error: (error as Error).message }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, ids.length) }, worker));
  const rows: Row[] = ids.map((id, index) => ({ id, ...results[index] }));
  print(
    rows,
    () => rows.length ? rows.map((row) => testLine(String(row.id), row)) : ["no accounts to test"],
  );
  const failed = rows.filter((row) => row.ok !== true).length;
  if (failed > 0) throw new CliError(`${failed} of ${rows.length} account tests failed`, 1);
}

function testPath(id: string): string {
  return `/admin/accounts/${encodeURIComponent(id)}/test`;
}

/** The test's options from the flags. */
function testBody({ values }: Command): Row {
  const body: Row = {};
  if (typeof values.model === "string") body.model = values.model;
  if (typeof values.prompt === "string") body.prompt = values.prompt;
  if (values.recover === true) body.recover = true;
  return body;
}

/** One line for an account test: passed or failed, status, latency, model, why. */
function testLine(id: string, result: Row): string {
  const status = result.status === undefined ? "no answer" : String(result.status);
  const verdict = result.ok === true ? "ok" : "FAILED";
  const recovered = result.recovered === true ? ", back in service" : "";
  const why = result.ok === true ? "" : `: ${result.error}`;
  const ms = result.ms === undefined ? "" : `, ${result.ms} ms`;
  const model = result.model === undefined ? "" : `, ${result.model}`;
  return `test account "${id}": ${verdict} (${status}${ms}${model}${recovered})${why}`;
}

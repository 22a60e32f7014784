/**
 * One line from standard input, for the terminal sign-ins (`deno task
 * accounts login-*`, `deno task admin login-*`), which print an address and
 * wait for what the provider handed the user.
 *
 * @module
 */

/** Reads one line from standard input, then lets go of it so the process can exit. */
export async function readStdinLine(): Promise<string> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.split("\n")[0];
}

/** Everything on standard input, until it ends (`deno task admin error-rules set < rules.json`). */
export function readStdinAll(): Promise<string> {
  return new Response(Deno.stdin.readable).text();
}

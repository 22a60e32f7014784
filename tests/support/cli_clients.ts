/**
 * The real command-line clients our users run, pinned and installed from npm
 * into `.tools/clients/` on first use: the Codex CLI (`@openai/codex`) and
 * Claude Code (`@anthropic-ai/claude-code`). Both ship native binaries inside
 * their npm packages, so nothing is downloaded from anywhere but the registry.
 * Each run gets its own empty home directory and a closed environment, so a
 * developer's own sign-ins and settings never leak into a test.
 *
 * @module
 */

import { ROOT } from "./process.ts";

/** The pinned versions (README: Dependencies). */
export const CODEX_PACKAGE = "@openai/codex@0.169.0";
export const CLAUDE_PACKAGE = "@anthropic-ai/claude-code@2.1.332";

/** Where the clients are installed (`node_modules/` below it). */
export const CLIENTS_DIR = `${ROOT}.tools/clients`;
const PREFIX = CLIENTS_DIR;

/** What one client run printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let installing: Promise<string | null> | undefined;

/**
 * Installs the pinned clients where missing. Resolves to `null` when they are
 * there, or to the reason they cannot be (no npm, no registry), for a skip.
 */
export function installClients(): Promise<string | null> {
  installing ??= (async () => {
    if (await binary("codex") && await binary("claude")) return null;
    try {
      const output = await new Deno.Command("npm", {
        args: [
          "install",
          "--no-audit",
          "--no-fund",
          "--no-save",
          "--prefix",
          PREFIX,
          CODEX_PACKAGE,
          CLAUDE_PACKAGE,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!output.success) {
        return `npm install failed: ${new TextDecoder().decode(output.stderr).slice(-300)}`;
      }
    } catch (error) {
      return `npm is not available: ${error}`;
    }
    if (!await binary("codex") || !await binary("claude")) return "the clients did not install";
    return null;
  })();
  return installing;
}

/** The executable of a client, where installed. */
async function binary(name: "codex" | "claude"): Promise<string | undefined> {
  const candidates = name === "codex" ? [`${PREFIX}/node_modules/.bin/codex`] : [
    // The platform package's binary, which the wrapper's postinstall copies over its placeholder.
    `${PREFIX}/node_modules/@anthropic-ai/claude-code-linux-x64/claude`,
    `${PREFIX}/node_modules/.bin/claude`,
  ];
  for (const path of candidates) {
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile && info.size > 1024 * 1024) return path;
    if (info?.isFile && name === "codex") return path;
  }
  return undefined;
}

/** Runs `codex exec` with `prompt` against an OpenAI-compatible base URL (the gateway's `/v1`). */
export async function runCodex(baseUrl: string, apiKey: string, prompt: string): Promise<CliRun> {
  const home = await Deno.makeTempDir({ prefix: "switchyard-codex-" });
  try {
    return await run(
      await binary("codex"),
      [
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        "read-only",
        "-c",
        "model_provider=switchyard",
        "-c",
        'model_providers.switchyard.name="switchyard"',
        "-c",
        `model_providers.switchyard.base_url="${baseUrl}"`,
        "-c",
        'model_providers.switchyard.env_key="SWITCHYARD_TEST_KEY"',
        "-c",
        'model_providers.switchyard.wire_api="responses"',
        prompt,
      ],
      { CODEX_HOME: home, HOME: home, SWITCHYARD_TEST_KEY: apiKey },
      home,
    );
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs `codex exec` talking Responses over a WebSocket to the gateway at
 * `baseUrl`: with its built-in OpenAI provider (`-c openai_base_url=...`,
 * the key in `CODEX_API_KEY`), or with a custom provider that sets
 * `supports_websockets = true`. Each prompt after the first resumes the same
 * session (`codex exec resume --last`), a new process with the history.
 */
export async function runCodexOverSocket(
  baseUrl: string,
  apiKey: string,
  prompts: readonly string[],
  provider: "built-in" | "custom" = "built-in",
): Promise<CliRun[]> {
  const home = await Deno.makeTempDir({ prefix: "switchyard-codex-" });
  const settings = provider === "built-in" ? [`openai_base_url="${baseUrl}"`] : [
    "model_provider=switchyard",
    'model_providers.switchyard.name="Switchyard"',
    `model_providers.switchyard.base_url="${baseUrl}"`,
    'model_providers.switchyard.env_key="SWITCHYARD_API_KEY"',
    'model_providers.switchyard.wire_api="responses"',
    "model_providers.switchyard.supports_websockets=true",
  ];
  const env = { CODEX_HOME: home, HOME: home, CODEX_API_KEY: apiKey, SWITCHYARD_API_KEY: apiKey };
  const runs: CliRun[] = [];
  try {
    for (const [index, prompt] of prompts.entries()) {
      const common = ["--skip-git-repo-check", ...settings.flatMap((setting) => ["-c", setting])];
      const args = index === 0
        ? ["exec", "--sandbox", "read-only", ...common, prompt]
        : ["exec", "resume", "--last", ...common, prompt];
      runs.push(await run(await binary("codex"), args, env, home));
    }
    return runs;
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/** Runs `claude -p` with `prompt` against an Anthropic base URL (the gateway's root). */
export async function runClaude(baseUrl: string, apiKey: string, prompt: string): Promise<CliRun> {
  const home = await Deno.makeTempDir({ prefix: "switchyard-claude-" });
  try {
    return await run(await binary("claude"), ["-p", prompt], {
      HOME: home,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: apiKey,
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
    }, home);
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

async function run(
  path: string | undefined,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<CliRun> {
  if (!path) throw new Error("client not installed: call installClients() first");
  const command = new Deno.Command(path, {
    args,
    cwd,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  // Bounded: a client that hangs (retrying forever, waiting on a prompt) fails the test.
  const child = command.spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Answers for a client of another API than the upstream's (or a
 * non-streaming client of a streaming-only upstream), built after the
 * native answer was judged: classification, cooldowns and preamble failover
 * read the upstream's own answer, and only what goes to the client is
 * translated. A streaming success is translated later, chunk by chunk, by
 * the relay (after the usage tap read the native events); here are the
 * whole bodies: a non-streaming success (a Codex stream aggregated first)
 * and an error passed back, its status kept.
 *
 * @module
 */

import type { Account } from "../config/types.ts";
import { aggregateResponsesStream } from "../protocols/codex/aggregate.ts";
import { parseJson } from "../protocols/json.ts";
import { encodeError, translateErrorBody } from "../protocols/translate/errors.ts";
import { translateResponse } from "../protocols/translate/translate.ts";
import type { Api } from "../protocols/translate/ir.ts";
import { type TokenUsage, tokenUsage } from "../protocols/usage.ts";
import { isEventStream } from "./preamble.ts";
import type { Translation } from "./result.ts";
import { wholeAnswer } from "./answers.ts";

/** A translated answer and its bytes (its body, read whole). */
export interface Whole {
  response: Response;
  bytes: Uint8Array<ArrayBuffer>;
  /**
   * The usage as the upstream reported it, in its own API: the client's API
   * may have no field for some counts (Chat has no cache writes), and cost
   * is priced from all of them.
   */
  usage?: TokenUsage;
}

/** A whole success body (JSON, or a stream to aggregate) in the client's API. */
export async function translatedSuccess(
  upstream: Response,
  body: ReadableStream<Uint8Array> | null,
  account: Account,
  translation: Translation,
): Promise<Whole> {
  const { from, to } = translation;
  // An upstream that answered JSON after all (not the ChatGPT backend's way) is used as it is.
  if (translation.aggregate && isEventStream(upstream.headers)) {
    const aggregate = body ? await aggregateResponsesStream(body) : {
      ok: false as const,
      error: { kind: "api_error" as const, message: "empty upstream body" },
    };
    if (!aggregate.ok) {
      const status = aggregate.error.kind === "rate_limit" ? 429 : 502;
      return jsonAnswer(
        upstream,
        account,
        status,
        JSON.stringify(encodeError(to, aggregate.error)),
      );
    }
    const out = translateResponse(from, to, aggregate.response);
    const whole = jsonAnswer(upstream, account, upstream.status, JSON.stringify(out));
    return withUsage(whole, aggregate.response, from);
  }
  const text = body ? await new Response(body).text() : "";
  const parsed = parseJson(text);
  if (parsed === undefined) {
    const message = "the upstream answer was not JSON";
    const error = encodeError(to, { kind: "api_error", message });
    return jsonAnswer(upstream, account, 502, JSON.stringify(error));
  }
  const whole = jsonAnswer(
    upstream,
    account,
    upstream.status,
    JSON.stringify(translateResponse(from, to, parsed)),
  );
  return withUsage(whole, parsed, from);
}

/** `whole` with the usage of the upstream's own `body`, when it reports any. */
function withUsage(whole: Whole, body: unknown, from: Api): Whole {
  const raw = body !== null && typeof body === "object" && "usage" in body ? body.usage : undefined;
  const usage = tokenUsage(raw, from === "messages" ? "anthropic" : "openai");
  return usage ? { ...whole, usage } : whole;
}

/** An upstream error (its classified prefix) in the client's error shape, its status kept. */
export function translatedError(
  upstream: Response,
  text: string,
  account: Account,
  translation: Translation,
  status = upstream.status,
): Response {
  const body = translateErrorBody(translation.to, status, text);
  return jsonAnswer(upstream, account, status, body).response;
}

function jsonAnswer(upstream: Response, account: Account, status: number, body: string): Whole {
  const bytes = new TextEncoder().encode(body);
  const response = wholeAnswer(upstream, status, bytes, account);
  response.headers.set("content-type", "application/json");
  return { response, bytes };
}

/**
 * How every admin endpoint reads a body and answers: JSON bodies, errors in
 * the OpenAI shape with `param` naming the field of a 400, the `405` with its
 * `allow` header, and {@linkcode managed}, which decodes a route's `:id` and
 * maps the directory's and the validator's errors to 400/404/409/503.
 *
 * @module
 */

import {
  DirectoryConflict,
  DirectoryNotFound,
  SecretUnavailable,
} from "../../accounts/directory.ts";
import { ConfigError } from "../../config/errors.ts";
import { HttpError, httpErrorResponse } from "../../http/errors.ts";
import type { Route } from "../table.ts";
import { decodeId, MALFORMED_ID } from "./accounts.ts";

/** A request body as JSON; anything else is a 400 naming `body`. */
export async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError("body", "must be a JSON object");
  }
}

/** An admin error in the OpenAI shape, with `param` naming the field for a 400. */
export function adminError(
  status: number,
  message: string,
  param?: string,
  headers?: HeadersInit,
): Response {
  return httpErrorResponse("admin", new HttpError(status, message, { param, headers }));
}

/** `405`, saying which methods the endpoint takes (also in `allow`). */
export function methodNotAllowed(allow: string): Response {
  return adminError(405, `use ${allow}`, undefined, { allow });
}

/** A management handler with its `:id` decoded (a malformed one is a 400) and its errors mapped. */
export function managed(
  handler: (request: Request, id: string | undefined, url: URL) => Promise<Response>,
): Route["handle"] {
  return async (request, url, params) => {
    const id = params.id === undefined ? undefined : decodeId(params.id);
    if (id === null) return adminError(400, MALFORMED_ID, "id");
    try {
      return await handler(request, id, url);
    } catch (error) {
      return problem(error);
    }
  };
}

function problem(error: unknown): Response {
  if (error instanceof ConfigError) {
    return error.field
      ? adminError(400, error.message, error.field)
      : adminError(400, `body: ${error.message}`, "body");
  }
  if (error instanceof DirectoryConflict) return adminError(409, error.message);
  if (error instanceof DirectoryNotFound) return adminError(404, error.message);
  if (error instanceof SecretUnavailable) return adminError(503, error.message);
  throw error;
}

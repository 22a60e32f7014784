/**
 * The admin API's gate: it answers only when `SWITCHYARD_ADMIN_TOKEN` is set
 * (404 otherwise, so its existence is not advertised) and only to that Bearer
 * token (401). The token is compared by its SHA-256 digest, in constant time.
 *
 * @module
 */

import { constantTimeEqual, sha256Hex } from "../../crypto/digest.ts";
import { errorResponse } from "../../http/errors.ts";
import { presentedKey } from "../../http/headers.ts";

/** `null` when the request carries the admin token; otherwise the answer. */
export function adminRefusal(request: Request, tokenDigest: string | undefined): Response | null {
  if (tokenDigest === undefined) return errorResponse("openai", 404, "not found");
  const presented = presentedKey(request.headers);
  if (!presented || !constantTimeEqual(sha256Hex(presented), tokenDigest)) {
    return errorResponse("openai", 401, "invalid admin token");
  }
  return null;
}

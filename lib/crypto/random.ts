/**
 * Random secrets as text: client keys, the first-run admin token, PKCE
 * verifiers and `state`, the generated encryption secret.
 *
 * @module
 */

/** Unpadded base64url of bytes (RFC 4648 §5), as tokens and PKCE use it. */
export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A new random secret: `prefix` + 32 random bytes in base64url. */
export function randomToken(prefix: string): string {
  return `${prefix}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * PKCE (RFC 7636) for the sign-in of subscription accounts: a random code
 * verifier, its S256 challenge, and a random `state`. The verifier never
 * leaves the gateway until the code exchange; the challenge goes in the
 * authorization URL.
 *
 * @module
 */

import { base64url } from "../../crypto/random.ts";

/** A verifier and the challenge derived from it. */
export interface Pkce {
  /** 43 characters of base64url (32 random bytes), within RFC 7636's 43-128. */
  verifier: string;
  /** base64url(SHA-256(verifier)), sent with `code_challenge_method=S256`. */
  challenge: string;
}

/** A fresh verifier and its challenge. */
export async function newPkce(): Promise<Pkce> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: await challengeOf(verifier) };
}

/** The S256 challenge of a verifier. */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A fresh `state`: ties the provider's redirect to the sign-in that asked for it. */
export function newState(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

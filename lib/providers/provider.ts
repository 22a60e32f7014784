/**
 * What the gateway needs to know about an upstream API family: which client
 * paths it serves and how an account's credential goes on the wire. Each
 * platform has one module implementing {@linkcode Provider}.
 *
 * @module
 */

import type { Account, Platform } from "../config/types.ts";
import type { Surface } from "../http/errors.ts";

/** One upstream API family. */
export interface Provider {
  platform: Platform;
  /** The client surface (error shape) this provider answers. */
  surface: Surface;
  /** The API's name in messages to clients, e.g. "Anthropic Messages API". */
  api: string;
  /** Puts the account's credential (and any headers the platform requires) on an upstream request. */
  authorize(headers: Headers, account: Account, credential: string): void;
}

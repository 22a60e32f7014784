/**
 * Encryption at rest for OAuth tokens in KV: AES-256-GCM (Web Crypto) with a
 * key derived from `SWITCHYARD_SECRET` by HKDF-SHA-256. Each record gets a
 * fresh 96-bit IV, and the account id is bound in as additional data, so a
 * record copied to another account's key does not decrypt.
 *
 * @module
 */

/** Shortest `SWITCHYARD_SECRET` accepted. */
export const MIN_SECRET_LENGTH = 16;

/** An encrypted value as stored in KV. */
export interface SealedValue {
  v: 1;
  /** Base64 IV. */
  iv: string;
  /** Base64 ciphertext with the GCM tag. */
  data: string;
}

/** Seals and opens JSON values under one secret. */
export class SecretBox {
  private constructor(readonly key: CryptoKey) {}

  /** Derives the box's key from a secret of at least 16 characters. */
  static async fromSecret(secret: string): Promise<SecretBox> {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`SWITCHYARD_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    const material = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      "HKDF",
      false,
      ["deriveKey"],
    );
    const key = await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: new TextEncoder().encode("switchyard"),
        info: new TextEncoder().encode("oauth-tokens-v1"),
      },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return new SecretBox(key);
  }

  /** Encrypts `value` (as JSON), bound to `context`. */
  async seal(value: unknown, context: string): Promise<SealedValue> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const cipher = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
      this.key,
      new TextEncoder().encode(JSON.stringify(value)),
    );
    return { v: 1, iv: toBase64(iv), data: toBase64(new Uint8Array(cipher)) };
  }

  /** Decrypts a sealed value; throws when the secret or context is wrong. */
  async open<T>(sealed: SealedValue, context: string): Promise<T> {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: fromBase64(sealed.iv),
        additionalData: new TextEncoder().encode(context),
      },
      this.key,
      fromBase64(sealed.data),
    );
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

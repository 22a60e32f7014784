/**
 * Encryption at rest for secrets kept in KV (account credentials created
 * through the admin API, refreshed OAuth tokens): AES-256-GCM (Web Crypto)
 * under a key derived with HKDF-SHA-256 from `SWITCHYARD_SECRET`. Each purpose
 * gets its own derived key, each record a fresh 96-bit IV, and the record's id
 * is bound in as additional authenticated data, so a sealed value copied to
 * another record, or to another purpose, does not decrypt.
 *
 * @module
 */

/** Shortest `SWITCHYARD_SECRET` accepted. */
export const MIN_SECRET_LENGTH = 16;

/** What a box's key is for; each purpose derives a different key. */
export type SecretPurpose = "account-secrets" | "oauth-tokens";

/** A sealed value as stored in KV: base64 text, so it survives any KV backend. */
export interface Sealed {
  v: 1;
  /** Base64 IV. */
  iv: string;
  /** Base64 ciphertext with the GCM tag. */
  data: string;
}

const encoder = new TextEncoder();

/** Seals and opens strings under one derived key. */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  /** Derives the key for `purpose` from an operator secret (use 32+ random bytes). */
  static async fromSecret(secret: string, purpose: SecretPurpose): Promise<SecretBox> {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`SWITCHYARD_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
      "deriveKey",
    ]);
    const key = await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: encoder.encode("switchyard/v1"),
        info: encoder.encode(purpose),
      },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return new SecretBox(key);
  }

  /** Encrypts `plaintext`, bound to `context` (the record id). */
  async seal(plaintext: string, context: string): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
      this.key,
      encoder.encode(plaintext),
    );
    return { v: 1, iv: toBase64(iv), data: toBase64(new Uint8Array(data)) };
  }

  /** Decrypts a sealed value; throws when the secret, the purpose or the context does not match. */
  async open(sealed: Sealed, context: string): Promise<string> {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(sealed.iv), additionalData: encoder.encode(context) },
      this.key,
      fromBase64(sealed.data),
    );
    return new TextDecoder().decode(plain);
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/**
 * Encryption at rest for account secrets stored in KV: AES-256-GCM (Web
 * Crypto) under a key derived with HKDF-SHA-256 from `SWITCHYARD_SECRET`.
 * Each record gets a fresh 96-bit IV, and the record's id is bound in as
 * additional authenticated data, so a sealed secret cannot be moved to
 * another account.
 *
 * @module
 */

/** A sealed value as stored in KV. Base64 text, so it survives any KV backend. */
export interface Sealed {
  v: 1;
  iv: string;
  data: string;
}

const encoder = new TextEncoder();

/** Encrypts and decrypts small values under one key. */
export class SecretBox {
  private constructor(private readonly key: CryptoKey) {}

  /** Derives the box key from an operator secret (use 32+ random bytes, e.g. `openssl rand -base64 32`). */
  static async fromSecret(secret: string): Promise<SecretBox> {
    if (secret.length < 16) throw new Error("SWITCHYARD_SECRET must be at least 16 characters");
    const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
      "deriveKey",
    ]);
    const key = await crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: encoder.encode("switchyard/v1"),
        info: encoder.encode("account secrets"),
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

  /** Decrypts a sealed value; throws when the key or the context does not match. */
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

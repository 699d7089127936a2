/**
 * Secrets kept in the database (webhook signing secrets) are sealed with AES-256-GCM under the
 * installation's key, so a copy of the database or a backup does not give them away. A sealed value reads
 * `sb1:<base64url of 12-byte nonce | ciphertext | 16-byte tag>`; a value without the prefix is taken as
 * plain text (rows written before sealing, or an installation without a key), so sealing can be turned on
 * later. The key's own safety (a file readable by hddt only, or a secret manager) is the operator's.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export interface SecretSealer {
  seal(plain: string): string;
  open(stored: string): string;
}

const PREFIX = "sb1:";

/** Leaves secrets as they are (no key configured). */
export const plainSecrets: SecretSealer = { seal: (s) => s, open: (s) => s };

export class SecretBox implements SecretSealer {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError("the secret key must be 32 bytes");
    this.#key = Buffer.from(key);
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, nonce);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The plain secret; throws when a sealed value was altered or sealed under another key. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
    if (raw.length < 28) throw new Error("sealed secret too short");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  }
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export { Secret } from "../../domain/secret.ts";

export type Secrets = {
  encrypt(plain: string): string;
  decrypt(blob: string): string;
};

/**
 * The 32-byte key for secrets at rest: BERTH_SECRET_KEY when set, else a key file made
 * once with mode 0600 in the data directory.
 */
export function loadSecretKey(dataDir: string, configured: string | null): Buffer {
  if (configured) return Buffer.from(configured, "hex");
  const file = path.join(dataDir, "secret.key");
  try {
    return Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

/** AES-256-GCM; a blob is "v1:" + base64(iv ‖ tag ‖ ciphertext). */
export function createSecrets(key: Buffer): Secrets {
  if (key.length !== 32) throw new Error("the secret key must be 32 bytes");
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
    },
    decrypt(blob) {
      if (!blob.startsWith("v1:")) throw new Error("unknown secret format");
      const raw = Buffer.from(blob.slice(3), "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}

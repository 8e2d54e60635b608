// The installation's secret key: GANTRY_SECRET_KEY, or one generated at first start and kept in
// the data directory (0600). Subkeys are derived per purpose so one leak does not reveal another.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config/config.ts";

export function loadSecretKey(config: Pick<Config, "secretKey" | "dataDir">): string {
  if (config.secretKey) return config.secretKey;
  const file = join(config.dataDir, "secret.key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString("base64url");
  try {
    writeFileSync(file, key, { mode: 0o600, flag: "wx" });
    return key;
  } catch {
    return readFileSync(file, "utf8").trim(); // another process wrote it first
  }
}

export function deriveKey(secretKey: string, purpose: string): Buffer {
  return createHmac("sha256", secretKey).update(`gantry:${purpose}`).digest();
}

/** Credentials Gantry's own processes use on the built-in broker. */
export function serverMqttCredentials(secretKey: string): { username: string; password: string } {
  return { username: "gantry-server", password: deriveKey(secretKey, "mqtt-server").toString("base64url") };
}

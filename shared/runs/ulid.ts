// ULIDs (26 characters, Crockford base32): 48 bits of milliseconds then 80 random bits. Within one
// millisecond the random part is incremented, so ids made by one process sort by creation, which
// the keyset listings (`runs(before:)`) rely on.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastTime = -1;
let lastRandom: number[] = [];

export function ulid(now: number = Date.now()): string {
  let random: number[];
  if (now <= lastTime) {
    now = lastTime;
    random = increment(lastRandom);
  } else {
    random = [...randomBytes(16)].map((b) => b & 31);
  }
  lastTime = now;
  lastRandom = random;
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  return time + random.map((d) => ALPHABET[d]).join("");
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 31) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  throw new Error("ulid: random part overflowed within one millisecond");
}

export const isUlid = (value: string): boolean => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(value);

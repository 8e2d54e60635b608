// One log chunk: what a worker PUTs to a pre-signed URL and the server reads back. A chunk holds
// at most MAX_LOG_CHUNK_BYTES of UTF-8 text, already masked, written within one second; its body
// is JSON `{"t": <unix ms of its first byte>, "m": "<text>"}`. Shared by the worker (which
// encodes) and the read model (which decodes); no database here.
import { MAX_LOG_CHUNK_BYTES } from "../workers/protocol.ts";

export type Chunk = Readonly<{ timestamp: number; text: string }>;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export function encodeChunk(chunk: Chunk): string {
  return JSON.stringify({ t: chunk.timestamp, m: chunk.text });
}

/** The chunk in `body`, or null when it is not one (a reader skips it rather than failing). */
export function decodeChunk(body: Uint8Array | string): Chunk | null {
  try {
    const value = JSON.parse(typeof body === "string" ? body : decoder.decode(body));
    if (value && typeof value === "object" && typeof value.m === "string" && Number.isFinite(value.t)) return { timestamp: value.t, text: value.m };
  } catch {
    // answered below
  }
  return null;
}

/** The UTF-8 length of `text`, without encoding it (a lone surrogate counts 3, as U+FFFD). */
export function byteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * `text` cut into pieces of at most `maxBytes` UTF-8 bytes, never inside a code point; a piece
 * ends at its last newline when that keeps it at least half full.
 */
export function splitByBytes(text: string, maxBytes = MAX_LOG_CHUNK_BYTES): string[] {
  if (text.length * 3 <= maxBytes) return text === "" ? [] : [text];
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (bytes.length - start > maxBytes) {
    let end = start + maxBytes;
    while (end > start && (bytes[end] & 0xc0) === 0x80) end--; // not inside a code point
    if (end === start) for (end = start + maxBytes; end < bytes.length && (bytes[end] & 0xc0) === 0x80; end++); // maxBytes below one code point
    const newline = bytes.lastIndexOf(0x0a, end - 1);
    if (newline !== -1 && newline + 1 - start >= maxBytes / 2) end = newline + 1;
    pieces.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  if (start < bytes.length) pieces.push(decoder.decode(bytes.subarray(start)));
  return pieces;
}

/** A chunk's messages: one per line, each keeping its newline (clients print them as they are). */
export function chunkLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", start)) {
    lines.push(text.slice(start, at + 1));
    start = at + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

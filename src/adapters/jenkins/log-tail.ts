/**
 * The end of a console log, bounded in memory however long the log is: chunks are kept until the
 * bytes after the oldest one alone cover `maxBytes`, so at most `maxBytes` + one chunk is held.
 */
export class TailBuffer {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): void {
    if (this.maxBytes <= 0 || chunk.byteLength === 0) {
      this.dropped ||= chunk.byteLength > 0;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.byteLength >= this.maxBytes) {
      this.size -= this.chunks.shift()!.byteLength;
      this.dropped = true;
    }
  }

  /** The last `maxBytes` bytes, and whether anything before them was cut. */
  result(): { bytes: Buffer; truncated: boolean } {
    const all = Buffer.concat(this.chunks, this.size);
    if (all.length <= this.maxBytes) return { bytes: all, truncated: this.dropped };
    return { bytes: all.subarray(all.length - this.maxBytes), truncated: true };
  }
}

export async function readTail(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const tail = new TailBuffer(maxBytes);
  for await (const chunk of body) tail.push(chunk);
  return tail.result();
}

/** ConsoleNote annotations (`ESC[8mha:<base64>ESC[0m`): progressiveText leaks them since ~2.509 (JENKINS-76387). */
const CONSOLE_NOTE = /\x1b\[8mha:[^\x1b]*\x1b\[0m/g;
/** A note cut in two by the tail's start: its base64 remainder up to the closing ESC[0m. */
const LEADING_NOTE_REMAINDER = /^[A-Za-z0-9+/=:]*\x1b\[0m/;
/** A note still being written when the log was read. */
const TRAILING_NOTE = /\x1b\[8mha:[^\x1b]*$/;
/** ANSI CSI (colours, AnsiColor plugin) and OSC (hyperlinks, titles) sequences. */
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const TRAILING_PARTIAL_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*)?$/;

/**
 * Bytes → readable text: lossy UTF-8 (a log is stored in the controller's charset but served as
 * UTF-8), minus a multi-byte sequence cut at the start, annotations, ANSI codes, and CRLF (classic
 * Jenkins normalises line ends to CRLF).
 */
export function consoleTailText(bytes: Buffer, truncated: boolean): string {
  let start = 0;
  if (truncated) {
    // Skip UTF-8 continuation bytes (10xxxxxx) left over from a character cut in two.
    while (start < Math.min(3, bytes.length) && (bytes[start]! & 0xc0) === 0x80) start++;
  }
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(start));
  if (truncated) text = text.replace(LEADING_NOTE_REMAINDER, '');
  return text
    .replace(CONSOLE_NOTE, '')
    .replace(TRAILING_NOTE, '')
    .replace(ANSI, '')
    .replace(TRAILING_PARTIAL_ESCAPE, '')
    .replace(/\r\n/g, '\n');
}

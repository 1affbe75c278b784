/**
 * A build's console log as raw bytes. Lines are stored with CRLF endings, as Jenkins' classic
 * progressive text produces them (LineEndNormalizingWriter), and offsets are BYTE offsets, the
 * unit of `X-Text-Size` / `start`.
 */

/** Stapler LargeText reads at most this many lines per call while the log is still open. */
export const MAX_LINES_PER_READ = 10_000;

export class BuildLog {
  private readonly lines: Buffer[] = [];
  /** Byte offset at which each line starts. */
  private readonly starts: number[] = [];
  private bytes = 0;
  private closed = false;

  get size(): number {
    return this.bytes;
  }

  get complete(): boolean {
    return this.closed;
  }

  /** Appends one line per `\n`-separated part of `text`; ignored after `close()`. */
  append(text: string): void {
    if (this.closed) return;
    for (const line of text.split(/\r?\n/)) {
      const buf = Buffer.from(`${line}\r\n`, 'utf8');
      this.starts.push(this.bytes);
      this.lines.push(buf);
      this.bytes += buf.length;
    }
  }

  close(): void {
    this.closed = true;
  }

  whole(): Buffer {
    return Buffer.concat(this.lines, this.bytes);
  }

  /**
   * Bytes from `start` on, as `logText/progressiveText` serves them: a start beyond the end means
   * the log rolled over, so it restarts at 0; while the log is open at most MAX_LINES_PER_READ lines.
   */
  readFrom(requestedStart: number): { text: Buffer; end: number } {
    const start = requestedStart > this.bytes || requestedStart < 0 ? 0 : requestedStart;
    if (start === this.bytes) return { text: Buffer.alloc(0), end: start };
    const first = this.lineAt(start);
    const limit = this.closed ? this.lines.length : Math.min(this.lines.length, first + MAX_LINES_PER_READ);
    const parts: Buffer[] = [];
    let end = start;
    for (let i = first; i < limit; i++) {
      const line = this.lines[i]!;
      const lineStart = this.starts[i]!;
      const part = lineStart < start ? line.subarray(start - lineStart) : line;
      parts.push(part);
      end = lineStart + line.length;
    }
    return { text: Buffer.concat(parts), end };
  }

  /** Index of the line containing byte `offset` (binary search). */
  private lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

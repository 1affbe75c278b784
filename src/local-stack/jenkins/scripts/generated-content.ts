import { randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** A 64 KiB block of repetitive text: deflate shrinks it by orders of magnitude. */
const TEXT_BLOCK = (() => {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < CHUNK; i++) {
    const line = `line ${String(i).padStart(6, '0')}: the quick brown fox jumps over the lazy dog\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''), 'utf8').subarray(0, CHUNK);
})();

/**
 * `bytes` of generated content, produced chunk by chunk on demand (back-pressure aware), so
 * multi-gigabyte artifacts never sit in memory. Incompressible content is random.
 */
export function generatedStream(bytes: number, compressible: boolean): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      // TEXT_BLOCK is never mutated, so sharing it across pushes is safe.
      this.push(compressible ? TEXT_BLOCK.subarray(0, n) : randomFillSync(Buffer.allocUnsafe(n)));
    },
  });
}

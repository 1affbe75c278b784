import { describe, expect, it } from '@jest/globals';
import { TailBuffer, consoleTailText, readTail } from './log-tail';

async function* chunked(buffer: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe('log tail', () => {
  it('keeps only the last maxBytes of a long stream, holding at most one extra chunk', async () => {
    const log = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
    const { bytes, truncated } = await readTail(chunked(log, 97), 1000);
    expect(truncated).toBe(true);
    expect(bytes.equals(log.subarray(log.length - 1000))).toBe(true);

    const tail = new TailBuffer(100);
    for (let i = 0; i < 50; i++) tail.push(Buffer.alloc(30, 0x61));
    // Internal chunks never exceed maxBytes + one chunk.
    expect((tail as unknown as { size: number }).size).toBeLessThanOrEqual(130);
  });

  it('returns short logs whole and untruncated', async () => {
    const { bytes, truncated } = await readTail(chunked(Buffer.from('ok\n'), 1), 1000);
    expect(truncated).toBe(false);
    expect(bytes.toString()).toBe('ok\n');
  });

  it('skips a UTF-8 sequence cut at the start and decodes invalid bytes lossily', () => {
    const text = Buffer.from('ÄÖ€ end\r\n', 'utf8');
    // Cut inside "€" (3 bytes: e2 82 ac): start at its second byte.
    const cut = text.subarray(text.indexOf(0xe2) + 1);
    expect(consoleTailText(cut, true)).toBe(' end\n');
    expect(consoleTailText(Buffer.from([0x61, 0xff, 0x62]), false)).toBe('a\ufffdb');
  });

  it('strips console notes (whole, cut at the start, unfinished), ANSI codes and CRLF', () => {
    const note = '\x1b[8mha:////4JvvFNuMbq8Ok+5Z=\x1b[0m';
    const raw = `remainder+AAA=\x1b[0m[Pipeline] sh\r\n${note}\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07\r\ntail \x1b[8mha:////unfinished`;
    expect(consoleTailText(Buffer.from(raw), true)).toBe('[Pipeline] sh\nred link\ntail ');
  });
});

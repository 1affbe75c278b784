import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import zlib from 'node:zlib';
import * as yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { crc32, crc32JsForTest } from '../../src/core/artifacts/crc32';
import { createZipStream, type ZipSourceEntry } from '../../src/core/artifacts/zip-stream';
import { collect, readZip, sha256 } from '../support/read-zip';

async function* fromArray(entries: ZipSourceEntry[]): AsyncGenerator<ZipSourceEntry> {
  for (const entry of entries) yield entry;
}

/** Splits `data` into chunks of varying sizes, so chunk boundaries differ from yazl's run. */
function chunked(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 3) % 70_000 || 1) parts.push(data.subarray(at, at + n));
  return Readable.from(parts);
}

interface Sample {
  path: string;
  data: Buffer;
  compress: boolean;
  mtime: Date;
}

const text = Buffer.from('line of build output, quite repetitive\n'.repeat(20_000));
const SAMPLES: Sample[] = [
  { path: 'readme.txt', data: Buffer.from('hello zip\n'), compress: true, mtime: new Date('2024-05-06T07:08:10Z') },
  { path: 'logs/build.log', data: text, compress: true, mtime: new Date('2023-01-02T03:04:05Z') },
  { path: 'dist/app.tar.gz', data: randomBytes(300_000), compress: false, mtime: new Date('2020-02-29T23:59:58Z') },
  { path: 'empty.txt', data: Buffer.alloc(0), compress: true, mtime: new Date('2001-09-09T01:46:40Z') },
  { path: 'dir/ünïcode name.bin', data: randomBytes(70_000), compress: true, mtime: new Date('1999-12-31T12:00:00Z') },
];

async function viaYazl(samples: Sample[], zip64: boolean): Promise<Buffer> {
  const zip = new ZipFile();
  for (const s of samples) zip.addReadStream(chunked(s.data), s.path, { mtime: s.mtime, compress: s.compress, forceZip64Format: zip64 });
  zip.end({ forceZip64Format: zip64, comment: '' });
  return collect(zip.outputStream);
}

async function viaBridge(samples: Sample[], zip64: boolean): Promise<Buffer> {
  const { stream, done } = createZipStream(
    fromArray(samples.map((s) => ({ path: s.path, mtime: s.mtime, size: s.data.length, open: async () => chunked(s.data) }))),
    { forceZip64: zip64 },
  );
  const [zip] = await Promise.all([collect(stream), done]);
  return zip;
}

describe('zip format', () => {
  it.each([false, true])('writes the same bytes as yazl (forceZip64 %s), readable by yauzl with matching CRCs', async (zip64) => {
    const [ours, theirs] = await Promise.all([viaBridge(SAMPLES, zip64), viaYazl(SAMPLES, zip64)]);
    expect(ours.equals(theirs)).toBe(true);

    const entries = await readZip(ours);
    for (const s of SAMPLES) {
      expect(entries.get(s.path)?.sha256).toBe(sha256(s.data));
      expect(entries.get(s.path)?.compressionMethod).toBe(s.compress ? 8 : 0);
      expect(entries.get(s.path)?.mtime.getTime()).toBe(s.mtime.getTime());
    }
    // yauzl does not check CRCs; compare them with zlib's.
    const zipfile = await yauzl.fromBufferPromise(ours, { lazyEntries: true });
    const crcs = new Map<string, number>();
    for await (const entry of zipfile.eachEntry()) crcs.set(entry.fileName, entry.crc32);
    for (const s of SAMPLES) expect(crcs.get(s.path)).toBe(zlib.crc32(s.data));
  });

  it('computes CRC-32 like zlib, in one piece or continued across chunks (native and fallback)', () => {
    const data = randomBytes(100_003);
    expect(crc32(data)).toBe(zlib.crc32(data));
    expect(crc32JsForTest(data)).toBe(zlib.crc32(data));
    expect(crc32JsForTest(data.subarray(777), crc32JsForTest(data.subarray(0, 777)))).toBe(zlib.crc32(data));
    expect(crc32JsForTest(Buffer.alloc(0))).toBe(0);
  });
});

/** A source producing `total` bytes in 16 KiB chunks only as fast as it is read. */
function lazySource(total: number, produced: { bytes: number }): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(16 * 1024, left);
      left -= n;
      produced.bytes += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
}

describe('read-ahead', () => {
  it('keeps several small files in flight, but never more bytes ahead of a slow reader than the budget', async () => {
    const produced = { bytes: 0 };
    let open = 0;
    let maxOpen = 0;
    const budget = 512 * 1024;
    const files = Array.from({ length: 40 }, (_, i): ZipSourceEntry => ({
      path: `f${i}.bin`,
      open: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        await delay(2); // a round trip
        const source = lazySource(100 * 1024, produced);
        source.once('close', () => open--);
        return source;
      },
    }));
    const { stream, done } = createZipStream(fromArray(files), { level: 'store', lookahead: 8, readAheadBytes: budget });
    const reader = new PassThrough({ highWaterMark: 16 * 1024 });
    stream.pipe(reader);
    let read = 0;
    let maxAhead = 0;
    for await (const chunk of reader) {
      read += (chunk as Buffer).length;
      maxAhead = Math.max(maxAhead, produced.bytes - read);
      await delay(1);
    }
    await done;
    expect(maxOpen).toBeGreaterThan(2);
    expect(maxOpen).toBeLessThanOrEqual(8);
    // Budget, plus per open source one chunk past the budget and its own stream buffer (16 KiB
    // each here), plus the archive output's 256 KiB and the reader's buffers. No file count in it.
    expect(maxAhead).toBeLessThan(budget + 8 * 2 * 16 * 1024 + 256 * 1024 + 64 * 1024);
    expect(open).toBe(0);
  });

  it('requests a file again when its connection dropped while it waited its turn', async () => {
    const opens: string[] = [];
    const big = randomBytes(2 * 1024 * 1024);
    const { stream, done } = createZipStream(
      fromArray([
        { path: 'big.bin', open: async () => (opens.push('big'), chunked(big)) },
        {
          path: 'next.txt',
          open: async () => {
            opens.push('next');
            if (opens.filter((o) => o === 'next').length > 1) return Readable.from([Buffer.from('second try')]);
            const source = new PassThrough();
            source.write('first try, cut');
            setTimeout(() => source.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 1);
            return source;
          },
        },
      ]),
      { lookahead: 2, readAheadBytes: 1024 },
    );
    const reader = new PassThrough();
    stream.pipe(reader);
    await delay(20); // the second source fails while the first one waits for its reader
    const [zip] = await Promise.all([collect(reader), done]);
    expect(opens).toEqual(['big', 'next', 'next']);
    const entries = await readZip(zip);
    expect(entries.get('next.txt')?.data.toString()).toBe('second try');
    expect(entries.get('big.bin')?.sha256).toBe(sha256(big));
  });

  it('fails on any other error of a source read ahead', async () => {
    const failure = new Error('disk on fire');
    const { stream, done } = createZipStream(
      fromArray([
        { path: 'a.txt', open: async () => Readable.from([Buffer.from('a')]) },
        { path: 'b.txt', open: async () => new Readable({ read() { this.destroy(failure); } }) },
      ]),
      { lookahead: 2 },
    );
    stream.resume();
    await expect(done).rejects.toBe(failure);
  });
});

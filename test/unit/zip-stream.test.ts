import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createZipStream, type ZipSourceEntry } from '../../src/core/artifacts/zip-stream';
import { shouldDeflate } from '../../src/core/artifacts/compression-choice';
import { PermanentError } from '../../src/core/errors';
import { collect, readZip, sha256 } from '../support/read-zip';

const STORED = 0;
const DEFLATED = 8;

async function* fromArray(entries: ZipSourceEntry[]): AsyncGenerator<ZipSourceEntry> {
  for (const entry of entries) yield entry;
}

function bufferEntry(path: string, data: Buffer | string, extra: Partial<ZipSourceEntry> = {}): ZipSourceEntry {
  return { path, open: async () => Readable.from([Buffer.from(data)]), ...extra };
}

/** A source that produces `total` bytes in 64 KiB chunks only as fast as it is read. */
function lazySource(total: number, onProduced: (bytes: number) => void = () => undefined): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= total) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(64 * 1024, total - produced), produced % 251);
      produced += chunk.length;
      onProduced(produced);
      this.push(chunk);
    },
  });
}

describe('createZipStream', () => {
  it('round-trips entries through yauzl with contents, nested paths, empty files and mtimes', async () => {
    const big = randomBytes(1024 * 1024 + 17);
    const mtime = new Date('2024-05-06T07:08:10Z');
    const { stream, done } = createZipStream(
      fromArray([
        bufferEntry('readme.txt', 'hello zip\n'.repeat(100), { mtime }),
        bufferEntry('dir/sub/data.bin', big, { size: big.length }),
        bufferEntry('empty.txt', ''),
        bufferEntry('dir/ünïcode name.txt', 'ü'),
      ]),
    );
    const [zip, result] = await Promise.all([collect(stream), done]);

    const entries = await readZip(zip);
    expect([...entries.keys()]).toEqual(['readme.txt', 'dir/sub/data.bin', 'empty.txt', 'dir/ünïcode name.txt']);
    expect(entries.get('readme.txt')?.data.toString()).toBe('hello zip\n'.repeat(100));
    expect(entries.get('dir/sub/data.bin')?.sha256).toBe(sha256(big));
    expect(entries.get('empty.txt')?.data.length).toBe(0);
    expect(entries.get('dir/ünïcode name.txt')?.data.toString()).toBe('ü');
    expect(entries.get('readme.txt')?.mtime.getTime()).toBe(mtime.getTime());
    expect(result).toEqual({ files: 4, bytesIn: 1000 + big.length + 0 + 2 });
  });

  it('stores already-compressed formats and deflates everything else', async () => {
    const { stream } = createZipStream(
      fromArray([
        bufferEntry('notes.md', 'text '.repeat(50)),
        bufferEntry('logo.PNG', 'not really a png'),
        bufferEntry('dist/app.tar.gz', 'gz bytes'),
        bufferEntry('lib/app.jar', 'jar bytes'),
        bufferEntry('Makefile', 'all:\n'),
      ]),
    );
    const entries = await readZip(await collect(stream));
    expect(entries.get('notes.md')?.compressionMethod).toBe(DEFLATED);
    expect(entries.get('Makefile')?.compressionMethod).toBe(DEFLATED);
    expect(entries.get('logo.PNG')?.compressionMethod).toBe(STORED);
    expect(entries.get('dist/app.tar.gz')?.compressionMethod).toBe(STORED);
    expect(entries.get('lib/app.jar')?.compressionMethod).toBe(STORED);
    expect(shouldDeflate('.bashrc')).toBe(true);
    expect(shouldDeflate('x/archive.ZIP')).toBe(false);
  });

  it("stores every entry with level 'store'", async () => {
    const { stream } = createZipStream(fromArray([bufferEntry('a.txt', 'aaaa'.repeat(100)), bufferEntry('b.json', '{}')]), {
      level: 'store',
    });
    const entries = await readZip(await collect(stream));
    expect([...entries.values()].map((e) => e.compressionMethod)).toEqual([STORED, STORED]);
    expect(entries.get('a.txt')?.data.toString()).toBe('aaaa'.repeat(100));
  });

  it('with lookahead 1, opens one source at a time and pulls the iterator lazily', async () => {
    let open = 0;
    let maxOpen = 0;
    let pulled = 0;
    const events: string[] = [];
    async function* entries(): AsyncGenerator<ZipSourceEntry> {
      for (let i = 0; i < 5; i++) {
        pulled++;
        events.push(`pull ${i}`);
        yield {
          path: `file-${i}.bin`,
          open: async () => {
            open++;
            maxOpen = Math.max(maxOpen, open);
            events.push(`open ${i}`);
            const source = lazySource(1024 * 1024);
            source.once('close', () => {
              open--;
              events.push(`close ${i}`);
            });
            return source;
          },
        };
      }
    }
    // Stored, so the bytes really flow (deflate would shrink these constant-filled sources to nothing).
    const { stream, done } = createZipStream(entries(), { level: 'store', lookahead: 1 });
    const reader = new PassThrough();
    stream.pipe(reader);
    // While the first entry is being read, at most one further entry has been pulled.
    await delay(20);
    expect(pulled).toBeLessThanOrEqual(2);
    const [zip] = await Promise.all([collect(reader), done]);

    expect(maxOpen).toBe(1);
    for (let i = 1; i < 5; i++) {
      expect(events.indexOf(`open ${i}`)).toBeGreaterThan(events.indexOf(`close ${i - 1}`));
    }
    expect((await readZip(zip)).size).toBe(5);
  });

  it('never reads a source far ahead of a slow reader (backpressure)', async () => {
    let produced = 0;
    const total = 64 * 1024 * 1024;
    const { stream, done } = createZipStream(
      fromArray([{ path: 'huge.bin', size: total, open: async () => lazySource(total, (n) => (produced = n)) }]),
      { level: 'store' },
    );
    // Nobody reads for a while: only a few buffers' worth may be produced.
    await delay(100);
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(2 * 1024 * 1024);
    // Reading slowly still keeps the producer close to the reader.
    let read = 0;
    for await (const chunk of stream) {
      read += (chunk as Buffer).length;
      expect(produced - read).toBeLessThan(2 * 1024 * 1024);
      if (read > 8 * 1024 * 1024) break;
    }
    // The reader gave up early: the archive is incomplete, so `done` must not resolve.
    await expect(done).rejects.toThrow();
    expect(stream.destroyed).toBe(true);
  });

  it('opens up to `lookahead` sources ahead, keeps entry order, and destroys them when the archive fails', async () => {
    let open = 0;
    let maxOpen = 0;
    const destroyed: string[] = [];
    const entries = Array.from({ length: 12 }, (_, i): ZipSourceEntry => ({
      path: `f${i}.txt`,
      open: async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        const source = Readable.from([Buffer.from(`content ${i}`)]);
        source.once('close', () => {
          open--;
          if (!source.readableEnded) destroyed.push(`f${i}.txt`);
        });
        return source;
      },
    }));
    const { stream, done } = createZipStream(fromArray(entries), { lookahead: 3 });
    const [zip] = await Promise.all([collect(stream), done]);
    expect(maxOpen).toBeLessThanOrEqual(3);
    expect(maxOpen).toBeGreaterThan(1);
    const read = await readZip(zip);
    expect([...read.keys()]).toEqual(entries.map((e) => e.path));
    expect(read.get('f7.txt')?.data.toString()).toBe('content 7');

    const failure = new Error('boom');
    const failing = createZipStream(
      fromArray([
        { path: 'slow.bin', open: async () => { const s = lazySource(10 * 1024 * 1024); setTimeout(() => s.destroy(failure), 5); return s; } },
        ...entries.slice(0, 3),
      ]),
      { lookahead: 3 },
    );
    const reading = collect(failing.stream);
    await expect(failing.done).rejects.toBe(failure);
    await expect(reading).rejects.toBe(failure);
    await delay(10);
    expect(destroyed.length).toBeGreaterThan(0);
    expect(open).toBe(0);
  });

  it('opens a source again at its turn when, opened ahead, it failed while waiting behind a large file', async () => {
    const opens = new Map<string, number>();
    const count = (path: string) => opens.set(path, (opens.get(path) ?? 0) + 1).get(path)!;
    const big = randomBytes(4 * 1024 * 1024);
    const entries: ZipSourceEntry[] = [
      { path: 'big.bin', open: async () => (count('big.bin'), Readable.from([big.subarray(0, 2 * 1024 * 1024), big.subarray(2 * 1024 * 1024)])) },
      {
        path: 'next.txt',
        open: async () => {
          if (count('next.txt') === 1) {
            // The idle connection of the paused response is cut by the server while big.bin streams.
            const cut = new PassThrough();
            setImmediate(() => cut.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
            return cut;
          }
          return Readable.from([Buffer.from('next, fetched again')]);
        },
      },
      { path: 'gone.txt', open: async () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })) },
    ];
    const failing = createZipStream(fromArray(entries), { lookahead: 3 });
    const reading = collect(failing.stream);
    // gone.txt failed ahead and fails again at its turn: that one is final.
    await expect(failing.done).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(reading).rejects.toBeDefined();
    expect(opens.get('next.txt')).toBe(2);

    opens.clear();
    const { stream, done } = createZipStream(fromArray(entries.slice(0, 2)), { lookahead: 3 });
    const [zip, result] = await Promise.all([collect(stream), done]);
    expect(result.files).toBe(2);
    const read = await readZip(zip);
    expect(sha256(read.get('big.bin')!.data)).toBe(sha256(big));
    expect(read.get('next.txt')?.data.toString()).toBe('next, fetched again');
    expect(opens.get('next.txt')).toBe(2);
  });

  it('destroys the output with the error of a failing source stream', async () => {
    const failure = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    let laterOpened = false;
    const { stream, done } = createZipStream(
      fromArray([
        bufferEntry('ok.txt', 'fine'),
        {
          path: 'broken.bin',
          open: async () => {
            const source = lazySource(10 * 1024 * 1024);
            setTimeout(() => source.destroy(failure), 5);
            return source;
          },
        },
        { path: 'never.txt', open: async () => ((laterOpened = true), Readable.from(['x'])) },
      ]),
      { lookahead: 1 },
    );
    const reading = collect(stream);
    await expect(done).rejects.toBe(failure);
    await expect(reading).rejects.toBe(failure);
    expect(stream.destroyed).toBe(true);
    expect(laterOpened).toBe(false);
  });

  it('fails when open() rejects, when the iterator throws, and on a size mismatch', async () => {
    const openFailure = new Error('HTTP 404 for artifact');
    const a = createZipStream(fromArray([{ path: 'a.txt', open: () => Promise.reject(openFailure) }]));
    await expect(a.done).rejects.toBe(openFailure);

    const iteratorFailure = new Error('listing failed');
    async function* throwing(): AsyncGenerator<ZipSourceEntry> {
      yield bufferEntry('first.txt', 'one');
      throw iteratorFailure;
    }
    const b = createZipStream(throwing());
    b.stream.resume();
    await expect(b.done).rejects.toBe(iteratorFailure);

    const c = createZipStream(fromArray([bufferEntry('short.txt', 'abc', { size: 10 })]));
    c.stream.resume();
    await expect(c.done).rejects.toThrow('zip entry "short.txt": file data stream has unexpected number of bytes');
  });

  it('aborts on the signal, destroying the open source', async () => {
    const controller = new AbortController();
    let source: Readable | undefined;
    const { stream, done } = createZipStream(
      fromArray([
        {
          path: 'slow.bin',
          open: async () => {
            source = lazySource(100 * 1024 * 1024);
            setTimeout(() => controller.abort(), 10);
            return source;
          },
        },
      ]),
      { signal: controller.signal },
    );
    stream.resume();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(source?.destroyed).toBe(true);

    const already = createZipStream(fromArray([bufferEntry('a.txt', 'a')]), { signal: AbortSignal.abort() });
    await expect(already.done).rejects.toMatchObject({ name: 'AbortError' });
  });

  it.each(['../escape.txt', 'a/../../b.txt', '/etc/passwd', 'C:/windows/x.txt', 'dir\\file.txt', 'a//b', './a', 'dir/'])(
    'rejects the unsafe path %j before opening anything',
    async (path) => {
      let opened = false;
      const { stream, done } = createZipStream(
        fromArray([{ path, open: async () => ((opened = true), Readable.from(['x'])) }]),
      );
      stream.resume();
      await expect(done).rejects.toBeInstanceOf(PermanentError);
      await expect(done).rejects.toThrow(/unsafe path/);
      expect(opened).toBe(false);
    },
  );
});

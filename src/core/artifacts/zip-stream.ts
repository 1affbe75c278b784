import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { isAbortError, networkErrorCode } from '../errors';
import { shouldDeflate } from './compression-choice';
import { crc32 } from './crc32';
import { PrefetchedSource, ReadAheadPool } from './read-ahead';
import { assertSafeEntryPath } from './zip-entry-path';
import { DEFLATED, STORED, centralDirectoryRecord, dataDescriptor, endOfCentralDirectory, localFileHeader, type CentralEntry } from './zip-records';

/** One file to put in the archive. `open` is called shortly before the archive reaches it (see `lookahead`). */
export interface ZipSourceEntry {
  /** '/'-separated path relative to the archive root. */
  path: string;
  open: () => Promise<Readable>;
  /** Expected byte count; when given, a source yielding a different count fails the archive. */
  size?: number;
  mtime?: Date;
}

export interface ZipStreamOptions {
  /** 'store' writes every entry uncompressed; 'default' deflates (zlib level 6) all but already-compressed formats. */
  level?: 'default' | 'store';
  signal?: AbortSignal;
  /**
   * How many sources may be open (requested and not yet read to their end) at once, the one being
   * written included; default 8. With small files each `open()` is a round trip (an HTTP GET to
   * Jenkins) that costs more than the file: opening the next ones while one streams hides those
   * round trips. 1 = fully lazy: a source is opened only when the archive reaches it.
   */
  lookahead?: number;
  /**
   * Bytes that sources opened ahead may hold in memory, in total; default 8 MiB. Small files are
   * read ahead whole (and their connections freed); a source that would exceed the budget is paused
   * by backpressure, and no further source is opened until the archive has caught up. The writer's
   * memory is therefore this, plus per open source one chunk and its stream's own buffer, plus
   * 256 KiB of output, whatever the file sizes; only the central directory (~100 bytes per entry,
   * written at the end, as every zip needs) grows with the number of files.
   */
  readAheadBytes?: number;
  /** Write ZIP64 records even for small archives (tests; readers that want them). */
  forceZip64?: boolean;
}

export interface ZipStreamResult {
  files: number;
  /** Uncompressed bytes read from the sources. */
  bytesIn: number;
}

export interface ZipStream {
  /** The archive bytes. Destroyed with the cause if any source, the iterator or the signal fails. */
  stream: Readable;
  /**
   * Resolves once the whole archive has been handed to `stream` (all but the last buffered bytes
   * consumed); rejects with the first failure, including the reader closing `stream` early.
   */
  done: Promise<ZipStreamResult>;
}

export const DEFAULT_LOOKAHEAD = 8;
export const DEFAULT_READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** Archive bytes the output stream buffers before the writer waits for its reader. */
const OUTPUT_HIGH_WATER_MARK = 256 * 1024;
/**
 * zlib's output buffer (its default, 16 KiB). Each deflater allocates one outside the V8 heap and
 * it lingers until a GC notices: with 64 KiB, 2,000 small text files left ~130 MB of such garbage.
 */
const DEFLATE_CHUNK = 16 * 1024;
const DEFLATE_LEVEL = 6;

/** Thrown inside the writer once the archive has failed; never escapes. */
const STOPPED = new Error('zip stream stopped');

/**
 * Streams a zip archive built from `entries` without holding any entry in memory. Entries are
 * written strictly in order, each as soon as the previous one ends; meanwhile the following
 * sources are opened and read ahead within `lookahead` sources and `readAheadBytes` bytes.
 * Backpressure runs from the reader of `stream` back through the deflater to the source.
 *
 * The archive format is yazl's (see zip-records.ts); the writer is the bridge's own so that CRC-32
 * is native and each chunk passes through no intermediate streams: with 2,000 small files the
 * per-entry stream plumbing cost more than the bytes.
 */
export function createZipStream(entries: AsyncIterable<ZipSourceEntry>, options: ZipStreamOptions = {}): ZipStream {
  const { signal, level = 'default', forceZip64 = false } = options;
  const output = new ArchiveOutput();
  const feederWake = new Wakeup();
  const writerWake = new Wakeup();
  const pool = new ReadAheadPool(
    Math.max(0, options.readAheadBytes ?? DEFAULT_READ_AHEAD_BYTES),
    Math.max(1, Math.floor(options.lookahead ?? DEFAULT_LOOKAHEAD)),
    () => feederWake.notify(),
  );
  /** Entries whose source is opening or open, in archive order; the writer takes from the front. */
  const queue: QueuedEntry[] = [];
  const central: CentralEntry[] = [];
  let feederDone = false;
  let writerIdle = false;
  let settled = false;
  let bytesIn = 0;
  /** Streams to destroy if the archive fails: the deflater and the source being written. */
  let current: { source?: Readable; deflater?: zlib.DeflateRaw } = {};

  let resolveDone!: (result: ZipStreamResult) => void;
  let rejectDone!: (error: Error) => void;
  const done = new Promise<ZipStreamResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers often learn of a failure from the reading side first; do not let `done` go unhandled.
  done.catch(() => undefined);

  const onAbort = (): void => fail(abortReason(signal));

  function fail(error: unknown): void {
    if (settled) return;
    settled = true;
    const cause = error instanceof Error ? error : new Error(String(error));
    signal?.removeEventListener('abort', onAbort);
    current.deflater?.destroy();
    current.source?.destroy();
    for (const queued of queue.splice(0)) void queued.opening.then((s) => s.discard(), () => undefined);
    output.stream.destroy(cause);
    rejectDone(cause);
    feederWake.notify();
    writerWake.notify();
    output.release();
  }

  /** Throws STOPPED when the archive failed while the caller was waiting. */
  function checkpoint(): void {
    if (settled) throw STOPPED;
  }

  output.stream.on('error', () => undefined);
  output.stream.on('close', () => {
    fail(output.stream.errored ?? new Error('the zip output stream was closed before the archive was complete'));
  });

  function open(entry: ZipSourceEntry): Promise<PrefetchedSource> {
    pool.opening();
    const opening = Promise.resolve()
      .then(() => entry.open())
      .then(
        (stream) => {
          const source = new PrefetchedSource(stream, pool);
          if (settled) {
            source.discard();
            throw STOPPED;
          }
          return source;
        },
        (error: unknown) => {
          pool.openFailed();
          throw error;
        },
      );
    // A failed open() fails the archive at once (a missing file does not get better by waiting).
    opening.catch((error: unknown) => {
      if (error !== STOPPED) fail(error);
    });
    return opening;
  }

  async function feed(): Promise<void> {
    for await (const entry of entries) {
      checkpoint();
      const path = assertSafeEntryPath(entry.path);
      // The writer waiting for this very entry, or room ahead.
      while (!(writerIdle && queue.length === 0) && !pool.hasRoom()) {
        await feederWake.wait();
        checkpoint();
      }
      queue.push({ entry, path, opening: open(entry) });
      writerWake.notify();
    }
    feederDone = true;
    writerWake.notify();
  }

  async function write(): Promise<void> {
    for (;;) {
      let next = queue.shift();
      while (!next) {
        if (feederDone) return finish();
        writerIdle = true;
        feederWake.notify();
        await writerWake.wait();
        writerIdle = false;
        checkpoint();
        next = queue.shift();
      }
      feederWake.notify();
      await writeEntry(next);
      checkpoint();
    }
  }

  async function writeEntry({ entry, path, opening }: QueuedEntry): Promise<void> {
    let source = await opening;
    // Read ahead but failed before its turn (e.g. the server dropped a connection that waited
    // behind a big file): none of it is in the archive yet, so ask once more.
    if (!settled && source.error && networkErrorCode(source.error) && !isAbortError(source.error)) {
      source.discard();
      source = await open(entry);
    }
    if (settled) {
      source.discard();
      throw STOPPED;
    }
    current = { source: source.stream };
    const name = Buffer.from(path, 'utf8');
    const method = level !== 'store' && shouldDeflate(path) ? DEFLATED : STORED;
    const mtime = entry.mtime ?? new Date();
    const offset = output.offset;
    await output.write(localFileHeader(name, method, mtime));
    checkpoint();

    const counts = { crc: 0, size: 0, written: 0 };
    const chunks = counted(source.read(), counts);
    if (method === STORED) {
      for await (const chunk of chunks) {
        const wait = output.write(chunk);
        if (wait) await wait;
        checkpoint();
      }
      counts.written = counts.size;
    } else {
      await deflateInto(chunks, counts);
    }
    if (entry.size !== undefined && counts.size !== entry.size) {
      throw new Error(`zip entry "${path}": file data stream has unexpected number of bytes (${counts.size}, expected ${entry.size})`);
    }
    const record: CentralEntry = { name, method, mtime, crc32: counts.crc, compressedSize: counts.written, uncompressedSize: counts.size, offset, forceZip64 };
    central.push(record);
    current = {};
    source.written();
    await output.write(dataDescriptor(record));
    // Lookahead 1 promises one open source at a time: Node emits the finished source's 'close' on
    // the next tick, so wait for that tick before the next source is requested.
    if (pool.maxInFlight === 1) await new Promise<void>((resolve) => process.nextTick(resolve));
  }

  /** Source chunks on their way in: CRC and byte counts. */
  async function* counted(chunks: AsyncGenerator<Buffer>, counts: { crc: number; size: number }): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      counts.crc = crc32(chunk, counts.crc);
      counts.size += chunk.length;
      bytesIn += chunk.length;
      yield chunk;
    }
  }

  async function deflateInto(chunks: AsyncGenerator<Buffer>, counts: { written: number }): Promise<void> {
    const deflater = zlib.createDeflateRaw({ level: DEFLATE_LEVEL, chunkSize: DEFLATE_CHUNK });
    current.deflater = deflater;
    const feeding = (async () => {
      try {
        for await (const chunk of chunks) {
          if (!deflater.write(chunk)) await drainedOrClosed(deflater);
          checkpoint();
        }
        deflater.end();
      } catch (error) {
        deflater.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      }
    })();
    feeding.catch(() => undefined);
    try {
      for await (const piece of deflater) {
        counts.written += (piece as Buffer).length;
        const wait = output.write(piece as Buffer);
        if (wait) await wait;
        checkpoint();
      }
    } catch (error) {
      // The source's own failure is the cause, not the deflater it destroyed.
      await feeding;
      throw error;
    }
    await feeding;
  }

  async function finish(): Promise<void> {
    const directoryOffset = output.offset;
    for (const record of central) {
      const wait = output.write(centralDirectoryRecord(record));
      if (wait) await wait;
      checkpoint();
    }
    await output.write(endOfCentralDirectory(central.length, directoryOffset, output.offset, forceZip64));
    checkpoint();
    settled = true;
    signal?.removeEventListener('abort', onAbort);
    output.end();
    resolveDone({ files: central.length, bytesIn });
  }

  const report = (error: unknown): void => {
    if (error !== STOPPED) fail(error);
  };
  if (signal?.aborted) {
    onAbort();
  } else {
    signal?.addEventListener('abort', onAbort, { once: true });
    feed().catch(report);
    write().catch(report);
  }
  return { stream: output.stream, done };
}

interface QueuedEntry {
  entry: ZipSourceEntry;
  path: string;
  opening: Promise<PrefetchedSource>;
}

/** The archive's readable side: bytes are pushed in order; `write` waits while the reader lags. */
class ArchiveOutput {
  readonly stream: Readable;
  /** Archive bytes produced so far: the next record's offset. */
  offset = 0;
  private resume: (() => void) | undefined;

  constructor() {
    this.stream = new Readable({ highWaterMark: OUTPUT_HIGH_WATER_MARK, read: () => this.release() });
  }

  /** Pushes `chunk`; returns a promise only when the reader has enough for now. */
  write(chunk: Buffer): Promise<void> | undefined {
    this.offset += chunk.length;
    if (this.stream.push(chunk)) return undefined;
    return new Promise((resolve) => {
      this.resume = resolve;
    });
  }

  end(): void {
    this.stream.push(null);
  }

  /** Lets a waiting `write` go on (the reader wants more, or the archive failed). */
  release(): void {
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}

/** 'drain', or 'close' when the archive failed and destroyed the deflater meanwhile. */
function drainedOrClosed(stream: zlib.DeflateRaw): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** One waiter at a time, woken by `notify` (a notification without a waiter is dropped). */
class Wakeup {
  private waiter: (() => void) | undefined;

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  notify(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('The zip stream was aborted');
  error.name = 'AbortError';
  return error;
}

import { Transform, pipeline, type PassThrough, type Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { shouldDeflate } from './compression-choice';
import { assertSafeEntryPath } from './zip-entry-path';

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
  /** 'store' writes every entry uncompressed; 'default' deflates all but already-compressed formats. */
  level?: 'default' | 'store';
  signal?: AbortSignal;
  /**
   * How many sources may be open at once (default 8). yazl reads entries strictly in order, but
   * with small files each `open()` is a round trip (an HTTP GET to Jenkins) that dominates the
   * time; opening the next few while one streams overlaps those round trips. An opened source
   * waiting its turn holds at most its stream's high-water mark (backpressure pauses it), so
   * memory is bounded by lookahead × high-water mark, whatever the file sizes.
   * A source opened ahead that fails before its turn (a paused HTTP response whose idle connection
   * the server cut while a large file streamed) is opened again at its turn: `open` may be called
   * twice. 1 = fully lazy: a source is opened only when the archive reaches it.
   */
  lookahead?: number;
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

/**
 * Streams a zip archive built from `entries` without holding any entry in memory: yazl reads one
 * source at a time, in order (addReadStreamLazy); the iterator runs at most `lookahead` entries
 * ahead of the one being read, and only those sources are open. Backpressure runs from the reader
 * of `stream` back through the deflater to the source.
 */
export function createZipStream(entries: AsyncIterable<ZipSourceEntry>, options: ZipStreamOptions = {}): ZipStream {
  const zip = new ZipFile();
  // yazl's outputStream is a PassThrough (typed loosely by @types/yazl).
  const output = zip.outputStream as unknown as PassThrough;
  const { signal, level = 'default' } = options;
  const lookahead = Math.max(1, Math.floor(options.lookahead ?? DEFAULT_LOOKAHEAD));
  /** Sources opened ahead of their turn: destroyed if the archive fails before they are read. */
  const waiting = new Set<Readable>();

  let files = 0;
  let bytesIn = 0;
  let settled = false;
  let source: Readable | undefined;
  let sourcePath: string | undefined;

  let resolveDone!: (result: ZipStreamResult) => void;
  let rejectDone!: (error: Error) => void;
  const done = new Promise<ZipStreamResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Callers often learn of a failure from the reading side first; do not let `done` go unhandled.
  done.catch(() => undefined);
  let rejectFailed!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  failed.catch(() => undefined);

  const onAbort = (): void => fail(abortReason(signal));
  const finish = (): void => {
    signal?.removeEventListener('abort', onAbort);
  };

  function fail(error: unknown): void {
    if (settled) return;
    settled = true;
    const cause = error instanceof Error ? error : new Error(String(error));
    rejectFailed(cause);
    source?.destroy();
    for (const stream of waiting) stream.destroy();
    waiting.clear();
    output.destroy(cause);
    rejectDone(cause);
    finish();
  }

  // The failure is reported through `done`; readers of `stream` still see it via their own
  // listeners, iteration or pipeline. Without this, an unread stream would crash the process.
  output.on('error', () => undefined);
  output.on('finish', () => {
    if (settled) return;
    settled = true;
    resolveDone({ files, bytesIn });
    finish();
  });
  output.on('close', () => {
    fail(output.errored ?? new Error('the zip output stream was closed before the archive was complete'));
  });
  zip.on('error', (error: Error) => {
    fail(sourcePath ? new Error(`zip entry "${sourcePath}": ${error.message}`, { cause: error }) : error);
  });

  /**
   * Starts opening a source before its turn. Whatever goes wrong before the turn comes (the open
   * failing, or the opened stream erroring while it waits) is not final: the entry is opened again
   * at its turn, where a second failure fails the archive.
   */
  function openAhead(entry: ZipSourceEntry): Promise<Readable | undefined> {
    const opening = Promise.resolve()
      .then(() => entry.open())
      .then((opened) => {
        if (settled) {
          opened.destroy();
          return opened;
        }
        waiting.add(opened);
        opened.once('error', () => {
          if (waiting.has(opened)) waiting.delete(opened); // errored while waiting: reopen at its turn
        });
        return opened;
      })
      .catch(() => undefined);
    return opening;
  }

  function openSource(entry: ZipSourceEntry, path: string, early: Promise<Readable | undefined> | undefined, callback: (error: unknown, stream: NodeJS.ReadableStream) => void): void {
    sourcePath = path;
    Promise.resolve(early)
      .then((ahead) => {
        // Usable only if it is still waiting intact (not errored, not ended early by a cut connection).
        if (ahead && waiting.has(ahead) && !ahead.destroyed && !ahead.errored) return ahead;
        if (ahead) waiting.delete(ahead);
        ahead?.destroy();
        return entry.open();
      })
      .then((opened) => {
        waiting.delete(opened);
        if (settled) {
          opened.destroy();
          return;
        }
        source = opened;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, next) {
            bytesIn += chunk.length;
            next(null, chunk);
          },
        });
        // yazl does not listen for errors on lazily opened streams; pipeline routes them to us.
        pipeline(opened, counter, (error) => {
          if (error) fail(error);
        });
        callback(null, counter);
      })
      .catch(fail);
  }

  async function feed(): Promise<void> {
    // Entries handed to yazl (their sources opening) whose turn has not come yet.
    const notStarted: Promise<void>[] = [];
    for await (const entry of entries) {
      if (settled) return;
      const path = assertSafeEntryPath(entry.path);
      // Room for this one: besides the source being read, at most lookahead − 1 open ahead.
      while (lookahead > 1 && notStarted.length >= lookahead - 1) await Promise.race([notStarted.shift()!, failed]);
      if (settled) return;
      const early = lookahead > 1 ? openAhead(entry) : undefined;
      const started = new Promise<void>((resolve) => {
        const entryOptions = {
          compress: level !== 'store' && shouldDeflate(path),
          ...(entry.size !== undefined ? { size: entry.size } : {}),
          ...(entry.mtime ? { mtime: entry.mtime } : {}),
        };
        zip.addReadStreamLazy(path, entryOptions, (callback) => {
          resolve();
          openSource(entry, path, early, callback);
        });
      });
      files++;
      if (lookahead > 1) notStarted.push(started);
      else await Promise.race([started, failed]);
    }
    if (!settled) zip.end();
  }

  if (signal?.aborted) {
    onAbort();
  } else {
    signal?.addEventListener('abort', onAbort, { once: true });
    feed().catch(fail);
  }
  return { stream: output, done };
}

/** Sources opened at once by default: overlaps the per-file Jenkins round trips of many small files. */
export const DEFAULT_LOOKAHEAD = 8;

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('The zip stream was aborted');
  error.name = 'AbortError';
  return error;
}

import type { Readable } from 'node:stream';

/**
 * The memory and connections that sources opened ahead of their turn may hold, shared by one
 * archive. Bytes, not files, are the unit: small files are read ahead whole (many in flight, each
 * request's round trip hidden behind the others) while a big one stops at the budget and waits,
 * its connection paused by backpressure.
 */
export class ReadAheadPool {
  /** Bytes read from sources ahead of their turn and not yet written to the archive. */
  buffered = 0;
  /** Sources opened (requested) and not yet read to their end, the one being written included. */
  inFlight = 0;
  private readonly paused = new Set<PrefetchedSource>();

  constructor(
    readonly maxBytes: number,
    readonly maxInFlight: number,
    /** Called whenever room may have appeared (a source completed, buffered bytes were written). */
    private readonly changed: () => void,
  ) {}

  /** A source is being requested: it counts from now until it ended, failed or was dropped. */
  opening(): void {
    this.inFlight++;
  }

  /** Its request failed: it never became a source. */
  openFailed(): void {
    this.inFlight--;
    this.changed();
  }

  /** Whether one more source may be opened ahead now. */
  hasRoom(): boolean {
    return this.inFlight < this.maxInFlight && this.buffered < this.maxBytes;
  }

  take(bytes: number, source: PrefetchedSource): boolean {
    this.buffered += bytes;
    if (this.buffered < this.maxBytes) return true;
    this.paused.add(source);
    return false;
  }

  release(bytes: number): void {
    this.buffered -= bytes;
    if (this.buffered < this.maxBytes && this.paused.size > 0) {
      const waiting = [...this.paused];
      this.paused.clear();
      for (const source of waiting) source.resumePrefetch();
    }
    this.changed();
  }

  settled(source: PrefetchedSource): void {
    this.inFlight--;
    this.paused.delete(source);
    this.changed();
  }
}

/**
 * A source opened ahead of its turn: reads into memory within the pool's budget until the archive
 * reaches it, then hands over what it holds followed by the rest of the stream. A failure before
 * its turn is kept (not thrown), so the writer can decide at its turn — by then nothing of it has
 * reached the archive, and the file can simply be requested again.
 */
export class PrefetchedSource {
  private chunks: Buffer[] = [];
  private first = 0;
  private heldBytes = 0;
  /** 'end' seen: every byte has been read from the stream (into `chunks` or by the writer). */
  private ended = false;
  private closed = false;
  private handedOver = false;
  private writerDone = false;
  /** No longer counted in flight. */
  private released = false;
  /** The stream's error, if it failed before or while being read. */
  error: Error | undefined;

  /** `pool.opening()` was called for it when its request started. */
  constructor(
    readonly stream: Readable,
    private readonly pool: ReadAheadPool,
  ) {
    stream.on('data', this.onData);
    stream.once('end', this.onEnd);
    stream.on('error', this.onError);
    stream.once('close', this.onClose);
  }


  resumePrefetch(): void {
    if (!this.handedOver && !this.stream.destroyed) this.stream.resume();
  }

  /**
   * The entry's bytes, in order: what was read ahead, then the rest of the stream. Buffered bytes
   * return to the pool as they are yielded. Throws the stream's error.
   */
  async *read(): AsyncGenerator<Buffer> {
    this.handedOver = true;
    this.stream.off('data', this.onData);
    this.stream.pause();
    while (this.first < this.chunks.length) {
      const chunk = this.chunks[this.first]!;
      this.chunks[this.first++] = EMPTY;
      this.heldBytes -= chunk.length;
      this.pool.release(chunk.length);
      yield chunk;
    }
    this.chunks = [];
    if (this.error) throw this.error;
    if (this.ended) return;
    // Live from here (a stream closed early makes the iterator throw a premature-close error).
    for await (const chunk of this.stream) yield chunk as Buffer;
  }

  /**
   * The writer has put the whole entry in the archive. Its slot frees once the stream has closed
   * too (a slot is a request to the source system, open until then). Not called when the entry
   * failed: the archive fails with it, and nothing more is opened.
   */
  written(): void {
    this.writerDone = true;
    this.maybeRelease();
  }

  /** Drops the source and what it holds (the archive failed, or the file is requested again). */
  discard(): void {
    this.writerDone = true;
    this.stream.off('data', this.onData);
    this.stream.destroy();
    if (this.heldBytes > 0) {
      const held = this.heldBytes;
      this.heldBytes = 0;
      this.chunks = [];
      this.pool.release(held);
    }
    this.maybeRelease();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.heldBytes += chunk.length;
    if (!this.pool.take(chunk.length, this)) this.stream.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
  };

  private readonly onError = (error: Error): void => {
    this.error ??= error;
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.maybeRelease();
  };

  /** Ahead of its turn a source holds its slot until it closes; once handed over, also until written. */
  private maybeRelease(): void {
    if (this.released || !this.closed || (this.handedOver && !this.writerDone)) return;
    this.released = true;
    this.pool.settled(this);
  }
}

const EMPTY = Buffer.alloc(0);

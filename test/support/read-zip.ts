import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';

export interface ReadZipEntry {
  data: Buffer;
  sha256: string;
  /** 0 = stored, 8 = deflated. */
  compressionMethod: number;
  mtime: Date;
}

/** Reads a whole zip with yauzl (central directory, strict names, size validation) into a map by path. */
export async function readZip(zip: Buffer): Promise<Map<string, ReadZipEntry>> {
  const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
  const entries = new Map<string, ReadZipEntry>();
  for await (const entry of zipfile.eachEntry()) {
    const data = await collect(await zipfile.openReadStreamPromise(entry));
    entries.set(entry.fileName, {
      data,
      sha256: sha256(data),
      compressionMethod: entry.compressionMethod,
      mtime: entry.getLastModDate(),
    });
  }
  return entries;
}

export async function collect(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

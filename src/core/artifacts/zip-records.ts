/**
 * Byte layouts of the zip records a streaming writer emits (APPNOTE 6.3.x), laid out exactly as
 * yazl 3 does for `addReadStream` entries — a test checks byte-for-byte equality — so archives keep
 * the properties the bridge was verified with (a 4.5 GiB ZIP64 round trip; macOS Archive Utility
 * wanting the data-descriptor signature):
 * - sizes and CRC are unknown when the local header is written: general purpose bit 3 is set, the
 *   local header carries zeros and no extra field, and a signed data descriptor follows the data;
 * - names are UTF-8 (bit 11);
 * - the central directory holds the real values, an Info-ZIP "UT" mtime (the DOS time has 2 s
 *   resolution and no time zone), and a ZIP64 extra field for entries past 4 GiB (sizes or offset);
 * - the end record gets ZIP64 companions past 65,534 entries or 4 GiB of offsets.
 */

export const STORED = 0;
export const DEFLATED = 8;

const FILE_NAME_IS_UTF8 = 1 << 11;
const UNKNOWN_CRC32_AND_SIZES = 1 << 3;
const FLAGS = FILE_NAME_IS_UTF8 | UNKNOWN_CRC32_AND_SIZES;
const VERSION_NEEDED_UTF8 = 20;
const VERSION_NEEDED_ZIP64 = 45;
/** Unix (3), spec version 6.3. */
const VERSION_MADE_BY = (3 << 8) | 63;
/** -rw-rw-r--, a regular file. */
const DEFAULT_EXTERNAL_ATTRIBUTES = (0o100664 << 16) >>> 0;
const MAX_32 = 0xfffffffe;

export interface CentralEntry {
  /** UTF-8 name. */
  name: Buffer;
  method: typeof STORED | typeof DEFLATED;
  mtime: Date;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the entry's local header in the archive. */
  offset: number;
  /** Write ZIP64 fields even when the values fit in 32 bits (tests; readers that want them). */
  forceZip64?: boolean;
}

function needsZip64(e: CentralEntry): boolean {
  return !!e.forceZip64 || e.uncompressedSize > MAX_32 || e.compressedSize > MAX_32 || e.offset > MAX_32;
}

export function localFileHeader(name: Buffer, method: number, mtime: Date): Buffer {
  const b = Buffer.alloc(30 + name.length);
  const { date, time } = dosDateTime(mtime);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(VERSION_NEEDED_UTF8, 4);
  b.writeUInt16LE(FLAGS, 6);
  b.writeUInt16LE(method, 8);
  b.writeUInt16LE(time, 10);
  b.writeUInt16LE(date, 12);
  // crc-32, compressed and uncompressed size: in the data descriptor (bytes 14–25 stay 0)
  b.writeUInt16LE(name.length, 26);
  // extra field length 0
  name.copy(b, 30);
  return b;
}

export function dataDescriptor(e: CentralEntry): Buffer {
  if (!needsZip64(e)) {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x08074b50, 0);
    b.writeUInt32LE(e.crc32, 4);
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.uncompressedSize, 12);
    return b;
  }
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc32, 4);
  writeUInt64LE(b, e.compressedSize, 8);
  writeUInt64LE(b, e.uncompressedSize, 16);
  return b;
}

export function centralDirectoryRecord(e: CentralEntry): Buffer {
  const zip64 = needsZip64(e);
  const extraLength = 9 + (zip64 ? 28 : 0);
  const b = Buffer.alloc(46 + e.name.length + extraLength);
  const { date, time } = dosDateTime(e.mtime);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(VERSION_MADE_BY, 4);
  b.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_UTF8, 6);
  b.writeUInt16LE(FLAGS, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(time, 12);
  b.writeUInt16LE(date, 14);
  b.writeUInt32LE(e.crc32, 16);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.compressedSize, 20);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.uncompressedSize, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extraLength, 30);
  // comment length, disk number start, internal attributes: 0 (bytes 32–37)
  b.writeUInt32LE(DEFAULT_EXTERNAL_ATTRIBUTES, 38);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.offset, 42);
  let at = 46 + e.name.copy(b, 46);
  // Info-ZIP universal timestamp: flags say mtime and atime (as Info-ZIP does), only mtime follows.
  b.writeUInt16LE(0x5455, at);
  b.writeUInt16LE(5, at + 2);
  b.writeUInt8(0b11, at + 4);
  b.writeInt32LE(Math.min(0x7fffffff, Math.max(-0x80000000, Math.floor(e.mtime.getTime() / 1000))), at + 5);
  at += 9;
  if (zip64) {
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(24, at + 2);
    writeUInt64LE(b, e.uncompressedSize, at + 4);
    writeUInt64LE(b, e.compressedSize, at + 12);
    writeUInt64LE(b, e.offset, at + 20);
  }
  return b;
}

/**
 * End of central directory (with the ZIP64 record and locator when needed). `end` is the archive
 * offset where this record starts, i.e. right after the central directory.
 */
export function endOfCentralDirectory(count: number, directoryOffset: number, end: number, forceZip64 = false): Buffer {
  const directorySize = end - directoryOffset;
  const zip64 = forceZip64 || count >= 0xffff || directorySize >= 0xffffffff || directoryOffset >= 0xffffffff;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  // disk numbers 0
  eocd.writeUInt16LE(forceZip64 || count >= 0xffff ? 0xffff : count, 8);
  eocd.writeUInt16LE(forceZip64 || count >= 0xffff ? 0xffff : count, 10);
  eocd.writeUInt32LE(forceZip64 || directorySize >= 0xffffffff ? 0xffffffff : directorySize, 12);
  eocd.writeUInt32LE(forceZip64 || directoryOffset >= 0xffffffff ? 0xffffffff : directoryOffset, 16);
  // comment length 0
  if (!zip64) return eocd;

  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  writeUInt64LE(record, 56 - 12, 4);
  record.writeUInt16LE(VERSION_MADE_BY, 12);
  record.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
  // disk numbers 0
  writeUInt64LE(record, count, 24);
  writeUInt64LE(record, count, 32);
  writeUInt64LE(record, directorySize, 40);
  writeUInt64LE(record, directoryOffset, 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  writeUInt64LE(locator, end, 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, eocd]);
}

const MIN_DOS_DATE = new Date(1980, 0, 1);
const MAX_DOS_DATE = new Date(2107, 11, 31, 23, 59, 58);

/** MS-DOS date and time fields, in the local time zone as every DOS-time writer does. */
export function dosDateTime(when: Date): { date: number; time: number } {
  const d = when < MIN_DOS_DATE ? MIN_DOS_DATE : when > MAX_DOS_DATE ? MAX_DOS_DATE : when;
  const date = (d.getDate() & 0x1f) | (((d.getMonth() + 1) & 0xf) << 5) | (((d.getFullYear() - 1980) & 0x7f) << 9);
  const time = Math.floor(d.getSeconds() / 2) | ((d.getMinutes() & 0x3f) << 5) | ((d.getHours() & 0x1f) << 11);
  return { date, time };
}

function writeUInt64LE(b: Buffer, n: number, offset: number): void {
  b.writeUInt32LE(n % 0x100000000, offset);
  b.writeUInt32LE(Math.floor(n / 0x100000000), offset + 4);
}

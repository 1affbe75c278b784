import { PermanentError } from '../errors';

/**
 * Validates an archive entry path. Paths are '/'-separated and relative; anything a reader could
 * resolve outside its extraction directory (zip-slip) or interpret differently per platform is
 * refused here, before a byte is written, rather than left to every consumer's unzip tool.
 */
export function assertSafeEntryPath(path: string): string {
  const problem = unsafeReason(path);
  if (problem) throw new PermanentError(`Refusing to archive unsafe path ${JSON.stringify(path)}: ${problem}`);
  return path;
}

function unsafeReason(path: string): string | undefined {
  if (path.length === 0) return 'empty path';
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.includes('\\')) return 'contains a backslash (paths are /-separated)';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'absolute path';
  if (path.endsWith('/')) return 'ends with "/" (directories are implied by file paths)';
  for (const segment of path.split('/')) {
    if (segment === '..') return 'contains a ".." segment';
    if (segment === '.') return 'contains a "." segment';
    if (segment === '') return 'contains an empty segment';
  }
  // The zip format stores the name length in 16 bits.
  if (Buffer.byteLength(path, 'utf8') > 0xffff) return 'longer than 65535 bytes';
  return undefined;
}

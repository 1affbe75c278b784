/**
 * Extensions of formats that are already compressed: deflating them again costs CPU for (almost)
 * no gain, so they are STORED. Matched on the last extension, case-insensitively ("x.tar.gz" → gz).
 */
const ALREADY_COMPRESSED: ReadonlySet<string> = new Set([
  // archives and compressed streams
  'zip', 'gz', 'tgz', 'bz2', 'tbz2', 'xz', 'txz', 'zst', 'lz', 'lz4', 'lzma', '7z', 'rar', 'z',
  // packages that are zips or compressed archives
  'jar', 'war', 'ear', 'aar', 'apk', 'aab', 'ipa', 'whl', 'egg', 'nupkg', 'vsix', 'gem', 'deb', 'rpm', 'crx', 'xpi',
  // office documents (zip containers)
  'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub',
  // images, audio, video, fonts, documents with their own compression
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'heic', 'heif',
  'mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac',
  'woff', 'woff2', 'pdf',
]);

/** True when the entry should be deflated; false when it should be stored as-is. */
export function shouldDeflate(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return true;
  return !ALREADY_COMPRESSED.has(name.slice(dot + 1).toLowerCase());
}

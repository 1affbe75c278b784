import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Hudson.model.Run.ArtifactList.listCutoff: above this many artifacts Jenkins skips computing
 * display names, so every `displayPath` is null.
 */
export const ARTIFACT_LIST_CUTOFF = 20;

export interface ArtifactEntry {
  relativePath: string;
  fileName: string;
  displayPath: string | null;
  size: number;
}

/** Rejects paths that could escape the archive directory or that Jenkins could not list. */
export function validateArtifactPath(relativePath: string): string[] {
  const segments = relativePath.split('/');
  const bad = segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'));
  if (bad) throw new Error(`Invalid artifact path "${relativePath}" (relative, '/'-separated, no '.'/'..' segments)`);
  return segments;
}

/**
 * Files archived by one build, stored on disk under `root` (builds may archive gigabytes, so
 * content is always streamed, never held in memory).
 */
export class ArtifactDir {
  private readonly files = new Map<string, number>();
  private tmpCounter = 0;

  constructor(readonly root: string) {}

  async archive(relativePath: string, content: string | Buffer | NodeJS.ReadableStream): Promise<void> {
    const segments = validateArtifactPath(relativePath);
    const target = path.join(this.root, ...segments);
    await mkdir(path.dirname(target), { recursive: true });
    // Written under a temporary name, then renamed: a half-copied file is never listed or served.
    const tmp = path.join(this.root, `.archiving-${process.pid}-${this.tmpCounter++}`);
    try {
      if (typeof content === 'string' || Buffer.isBuffer(content)) {
        await writeFile(tmp, content);
      } else {
        const source = content instanceof Readable ? content : Readable.from(content as AsyncIterable<Buffer>);
        await pipeline(source, createWriteStream(tmp));
      }
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    const { size } = await stat(target);
    this.files.set(relativePath, size);
  }

  /** Absolute path of an archived file, or undefined. */
  file(relativePath: string): { absolutePath: string; size: number } | undefined {
    const size = this.files.get(relativePath);
    if (size === undefined) return undefined;
    return { absolutePath: path.join(this.root, ...relativePath.split('/')), size };
  }

  /** True when `dirPath` ('' = root) is a folder holding archived files. */
  isDirectory(dirPath: string): boolean {
    if (dirPath === '') return this.files.size > 0;
    const prefix = `${dirPath}/`;
    for (const p of this.files.keys()) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** Relative paths in Jenkins' order: a depth-first walk with each directory's entries sorted by name. */
  paths(under = ''): string[] {
    const prefix = under === '' ? '' : `${under}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort(compareByWalkOrder);
  }

  /** The `artifacts` array of the build JSON. */
  entries(): ArtifactEntry[] {
    const paths = this.paths();
    const display = paths.length > ARTIFACT_LIST_CUTOFF ? undefined : displayPaths(paths);
    return paths.map((relativePath) => ({
      relativePath,
      fileName: relativePath.slice(relativePath.lastIndexOf('/') + 1),
      displayPath: display?.get(relativePath) ?? null,
      size: this.files.get(relativePath)!,
    }));
  }

  async remove(): Promise<void> {
    this.files.clear();
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Java String.compareTo (UTF-16 code units) per path segment, as VirtualFile sorting does. */
function compareByWalkOrder(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (as[i] !== bs[i]) return as[i]! < bs[i]! ? -1 : 1;
  }
  return as.length - bs.length;
}

/**
 * ArtifactList.computeDisplayName: every artifact starts with its file name; names that collide
 * grow by one more parent segment until unique (or the full path is reached).
 */
function displayPaths(paths: string[]): Map<string, string> {
  const segs = new Map(paths.map((p) => [p, p.split('/')]));
  const len = new Map(paths.map((p) => [p, 1]));
  const show = (p: string): string => segs.get(p)!.slice(-len.get(p)!).join('/');
  for (let changed = true; changed; ) {
    changed = false;
    const groups = new Map<string, string[]>();
    for (const p of paths) {
      const key = show(p);
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      for (const p of group) {
        if (len.get(p)! < segs.get(p)!.length) {
          len.set(p, len.get(p)! + 1);
          changed = true;
        }
      }
    }
  }
  return new Map(paths.map((p) => [p, show(p)]));
}

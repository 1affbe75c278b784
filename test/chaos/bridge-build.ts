import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The repository: the nearest folder up from here holding tsconfig.build.json (this file runs
 * from test/chaos under ts-jest, and from .test-dist-chaos-runner/test/chaos when compiled).
 */
export function findRepoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'tsconfig.build.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no tsconfig.build.json above ${from}`);
  }
}


export interface BuiltBridge {
  /** The compiled `main.js`. */
  mainJs: string;
  dir: string;
  remove(): void;
}

/**
 * Compiles the bridge as `npm run build` does, into `<repo>/.test-dist-chaos-XXXX`: inside the
 * repository, so node_modules and config/default.yaml resolve as they do for `npm start`.
 */
export async function buildBridge(repoRoot = findRepoRoot()): Promise<BuiltBridge> {
  const dir = mkdtempSync(path.join(repoRoot, '.test-dist-chaos-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', dir],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    remove();
    const out = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`building the bridge failed:\n${out.slice(0, 4_000)}`, { cause: error });
  }
  return { mainJs: path.join(dir, 'main.js'), dir, remove };
}

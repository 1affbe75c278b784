import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as yauzl from 'yauzl';
import { validateArtifactPath } from '../model/artifact-dir';
import type { SimBuildContext, SimBuildScript } from '../types';
import { inputArtifacts, loggableUrl, outputPrefixes, type InputArtifactParam } from './pipeline-params';

interface TransformedFile {
  path: string;
  bytes: number;
  /** SHA-256 of the file as it was in the input artifact. */
  sha256: string;
  transform: 'uppercase' | 'copy';
}

interface ManifestInput {
  name: string;
  bucket: string;
  key: string;
  revision: string | null;
  /** SHA-256 of the downloaded zip. */
  sha256: string;
  bytes: number;
  files: TransformedFile[];
}

/** Hashes and counts what flows through it. */
class Digest extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Uppercases text, copies binaries. The first chunk decides: a NUL byte means binary (as `git`
 * and `file` guess). Text goes through a StringDecoder so multi-byte characters split across
 * chunks stay intact.
 */
class UppercaseText extends Transform {
  mode: 'uppercase' | 'copy' | undefined;
  private readonly decoder = new StringDecoder('utf8');

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.mode ??= chunk.subarray(0, 8_192).includes(0) ? 'copy' : 'uppercase';
    done(null, this.mode === 'copy' ? chunk : Buffer.from(this.decoder.write(chunk).toUpperCase(), 'utf8'));
  }

  override _flush(done: TransformCallback): void {
    this.mode ??= 'uppercase';
    done(null, this.mode === 'copy' ? undefined : Buffer.from(this.decoder.end().toUpperCase(), 'utf8'));
  }
}

async function download(input: InputArtifactParam, target: string, signal: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const res = await fetch(input.url, { signal });
  if (!res.ok || !res.body) {
    throw new Error(`Download of input artifact "${input.name}" failed: HTTP ${res.status}`);
  }
  const digest = new Digest();
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), digest, createWriteStream(target), { signal });
  return { sha256: digest.hex(), bytes: digest.bytes };
}

/** Extracts every file of the zip into `outDir`, transformed. yauzl rejects absolute and `..` names. */
async function extract(zipPath: string, outDir: string, signal: AbortSignal): Promise<TransformedFile[]> {
  const zip = await yauzl.openPromise(zipPath, { strictFileNames: true });
  const files: TransformedFile[] = [];
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const segments = validateArtifactPath(entry.fileName);
    const target = path.join(outDir, ...segments);
    await mkdir(path.dirname(target), { recursive: true });
    const digest = new Digest();
    const upper = new UppercaseText();
    await pipeline(await zip.openReadStreamPromise(entry), digest, upper, createWriteStream(target), { signal });
    files.push({ path: entry.fileName, bytes: digest.bytes, sha256: digest.hex(), transform: upper.mode ?? 'uppercase' });
  }
  return files;
}

/**
 * Demo/e2e build: downloads each input artifact (CODEPIPELINE_INPUT_ARTIFACTS) from its URL,
 * unzips it and archives its files transformed (text uppercased, binaries copied) under
 * `<inputName>/…`, plus `manifest.json` (inputs, sha256 sums). With one output artifact the files
 * are archived at the top level; with several, once under a folder per output name.
 */
export function transformInputs(): SimBuildScript {
  return async (ctx: SimBuildContext) => {
    const inputs = inputArtifacts(ctx);
    const prefixes = outputPrefixes(ctx);
    const outDir = path.join(ctx.workspace, 'transformed');
    const manifest: ManifestInput[] = [];
    for (const [i, input] of inputs.entries()) {
      ctx.log(`Downloading input artifact "${input.name}" (s3://${input.bucket}/${input.key}) from ${loggableUrl(input.url)}`);
      const zipPath = path.join(ctx.workspace, `input-${i}.zip`);
      const { sha256, bytes } = await download(input, zipPath, ctx.signal);
      ctx.log(`Downloaded ${bytes} bytes, sha256 ${sha256}`);
      const files = await extract(zipPath, path.join(outDir, input.name), ctx.signal);
      const upper = files.filter((f) => f.transform === 'uppercase').length;
      ctx.log(`Extracted ${files.length} file(s) from "${input.name}": ${upper} text file(s) uppercased, ${files.length - upper} copied`);
      manifest.push({ name: input.name, bucket: input.bucket, key: input.key, revision: input.revision, sha256, bytes, files });
    }
    const manifestPath = path.join(ctx.workspace, 'manifest.json');
    await writeFile(manifestPath, `${JSON.stringify({ job: ctx.job, build: ctx.number, inputs: manifest }, null, 2)}\n`);
    for (const prefix of prefixes) {
      for (const input of manifest) {
        for (const file of input.files) {
          const source = path.join(outDir, input.name, ...file.path.split('/'));
          await ctx.archive(`${prefix}${input.name}/${file.path}`, createReadStream(source));
        }
      }
      await ctx.archive(`${prefix}manifest.json`, createReadStream(manifestPath));
    }
    const count = manifest.reduce((n, m) => n + m.files.length, 0) + 1;
    ctx.log(`Archived ${count} file(s)${prefixes[0] === '' ? '' : ` under each of ${prefixes.map((p) => p.slice(0, -1)).join(', ')}`}`);
  };
}

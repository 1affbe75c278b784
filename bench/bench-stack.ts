import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createAdapters } from '../src/adapters/create-adapters';
import { Bridge } from '../src/bridge';
import type { BridgeConfig } from '../src/config/schema';
import { loadConfig } from '../src/config/load-config';
import { nullLogger } from '../src/core/null-logger';
import { REQUIRED_PARAMETERS } from '../src/core/jobs/build-parameters';
import type { SimBuildScript, SimJobDefinition, SimParameterDefinition } from '../src/local-stack/jenkins';
import { startLocalStack, type LocalStack } from '../src/local-stack/start-local-stack';

/** The CODEPIPELINE_* parameters as a job written for the bridge declares them (see jenkinsfiles/). */
const DECLARED: SimParameterDefinition[] = REQUIRED_PARAMETERS.map((name) => ({
  name,
  type: name === 'CODEPIPELINE_INPUT_ARTIFACTS' ? 'text' : 'string',
  default: name.endsWith('_ARTIFACTS') ? '[]' : '',
}));

export function benchJob(name: string, script: SimBuildScript): SimJobDefinition {
  return { name, kind: 'pipeline', parameters: DECLARED, script };
}

export interface BenchStack {
  stack: LocalStack;
  bridge: Bridge;
  config: Readonly<BridgeConfig>;
  close(): Promise<void>;
}

/**
 * Local stack + one in-process bridge with the DEFAULT worker settings (config/default.yaml): only
 * the addresses, the data dir and quiet logging are set, so poll and status cadences are the
 * ones a user gets. Jenkins gets plenty of executors: these benchmarks measure the bridge, not
 * executor starvation.
 */
export async function startBenchStack(workDir: string, jobs: SimJobDefinition[], options: { env?: Record<string, string> } = {}): Promise<BenchStack> {
  const stack = await startLocalStack({ jenkinsJobs: jobs, jenkinsExecutors: 64 });
  const dataDir = mkdtempSync(path.join(workDir, 'bridge-data-'));
  let bridge: Bridge | undefined;
  try {
    const config = loadConfig(
      // `options.env` adds settings that change no default cadence (e.g. BRIDGE_EVENTS_TOKEN).
      { ...stack.env, BRIDGE_HTTP_HOST: '127.0.0.1', BRIDGE_HTTP_PORT: '0', BRIDGE_DATA_DIR: dataDir, ...options.env },
      // Compiled into .test-dist-bench-*/bench/: the repo's config/ is two levels up either way.
      { configDir: path.resolve(__dirname, '..', '..', 'config') },
    );
    bridge = new Bridge(config, createAdapters(config, nullLogger), { logger: nullLogger });
    await bridge.start();
    const started = bridge;
    return {
      stack,
      bridge: started,
      config,
      async close() {
        await started.stop({ graceMs: 2_000 });
        await stack.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await bridge?.stop({ graceMs: 0 }).catch(() => undefined);
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

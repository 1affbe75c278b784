import { loadConfig, ConfigError } from './config/load-config';
import { createWinstonLogger } from './adapters/winston/winston-logger';
import { createAdapters } from './adapters/create-adapters';
import { Bridge } from './bridge';

/**
 * Composition root: config once → logger → adapters → bridge → signals.
 * First SIGTERM/SIGINT: graceful drain (exit 0). A second one: abort running jobs (each still
 * reports its failure), then exit 1 shortly after.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pipeline-bridge: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createWinstonLogger({ level: config.log.level, format: config.log.format });
  const bridge = new Bridge(config, createAdapters(config, logger), { logger });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info('shutting down', { signal, graceMs: config.worker.shutdownGraceMs });
      bridge.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('shutdown failed', { error });
          process.exit(1);
        },
      );
      return;
    }
    logger.warn('second signal: aborting running jobs', { signal });
    bridge.forceStop();
    setTimeout(() => process.exit(1), 3_000).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection', { error: reason });
  });
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception; shutting down', { error });
    bridge.stop({ graceMs: 5_000 }).finally(() => process.exit(1));
  });

  try {
    await bridge.start();
  } catch (error) {
    logger.error('could not start', { error });
    process.exit(1);
  }
}

void main();

import { z } from 'zod';
import { schedulesSchema } from '../schedules/schedule-config';
import { genericSourcesSchema } from '../webhooks/sources/generic-source-config';
import { webhookRoutesSchema } from '../webhooks/routing/route-config';
import { checkWebhookRouting } from '../webhooks/routing/validate-webhook-config';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

/** Names of the CodePipeline action type fields: provider ≤ 35, version ≤ 9, `[0-9A-Za-z_-]+` (API model). */
const actionTypeName = (max: number) => z.string().min(1).max(max).regex(/^[0-9A-Za-z_-]+$/, 'only letters, digits, "_" and "-"');

export const configSchema = z
  .object({
    actionType: z
      .object({
        category: z.enum(['Source', 'Build', 'Deploy', 'Test', 'Invoke', 'Approval', 'Compute']).default('Build'),
        provider: actionTypeName(35).default('Jenkins'),
        version: actionTypeName(9).default('1'),
      })
      .strict()
      .prefault({}),
    aws: z
      .object({
        region: z.string().min(1).default('us-east-1'),
        /** Custom endpoints (local stack, VPC endpoints, FIPS); the SDK's own env names feed these. */
        codepipelineEndpoint: z.url().optional(),
        s3Endpoint: z.url().optional(),
        /**
         * The bridge's own identity for CodePipeline, when given as keys (AWS_ACCESS_KEY_ID…).
         * Absent: the SDK's default chain (profile, SSO, instance or task role). Never used for artifacts.
         */
        accessKeyId: z.string().min(1).optional(),
        secretAccessKey: z.string().min(1).optional(),
        sessionToken: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    jenkins: z
      .object({
        url: z.url(),
        user: z.string().min(1),
        apiToken: z.string().min(1),
        /** API-token requests are CSRF-exempt (Jenkins ≥ 2.96), so no crumb by default. */
        crumb: z.enum(['never', 'auto', 'always']).default('never'),
        requestTimeoutMs: positiveInt.default(30 * SECOND),
      })
      .strict(),
    worker: z
      .object({
        maxConcurrentJobs: positiveInt.max(1000).default(10),
        /** Longest wait between PollForJobs calls while idle; the loop polls faster while jobs arrive. */
        pollIntervalMs: positiveInt.default(1 * SECOND),
        /** Shortest wait between polls while jobs keep arriving. */
        minPollIntervalMs: nonNegativeInt.default(50),
        /** Serve only these Jenkins projects (PollForJobs queryParam ProjectName); empty = all. */
        projects: z.array(z.string().min(1).max(50).regex(/^[A-Za-z0-9_-]+$/, 'queryParam values allow letters, digits, "_" and "-"')).default([]),
        /** How often a running build is observed. */
        statusIntervalMs: positiveInt.default(2 * SECOND),
        /** A build still queued after this is cancelled and the job failed with Jenkins' reason. */
        queueTimeoutMs: positiveInt.default(60 * MINUTE),
        /**
         * Job artifact credentials live about 15 minutes (an undocumented, observed limit): refresh
         * through GetJobDetails well before, and again whenever S3 says they expired.
         */
        credentialsRefreshMs: positiveInt.default(10 * MINUTE),
        /**
         * A build still running after this long in one job is handed over to a continuation job
         * (PutJobSuccessResult with a continuation token), so no job outlives its credentials.
         */
        maxJobDurationMs: positiveInt.default(15 * MINUTE),
        /** Graceful shutdown: how long in-flight jobs may run on after SIGTERM. */
        shutdownGraceMs: nonNegativeInt.default(30 * SECOND),
        retry: z
          .object({
            maxAttempts: positiveInt.max(50).default(6),
            baseDelayMs: positiveInt.default(200),
            maxDelayMs: positiveInt.default(10 * SECOND),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    s3: z
      .object({
        forcePathStyle: z.boolean().default(false),
        /** WHEN_REQUIRED for emulators that store aws-chunked framing verbatim (s3rver); real S3 takes both. */
        checksums: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).default('WHEN_SUPPORTED'),
        partSizeBytes: positiveInt.min(5 * 1024 * 1024).default(8 * 1024 * 1024),
        queueSize: positiveInt.max(16).default(4),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        port: nonNegativeInt.max(65535).default(8080),
        /**
         * Base URL under which Jenkins builds reach this bridge (input artifact downloads).
         * Defaults to http://127.0.0.1:<port>, which only works when Jenkins runs on the same host.
         */
        publicUrl: z.url().optional(),
      })
      .strict()
      .prefault({}),
    artifacts: z
      .object({
        /** HMAC key for per-job artifact download tokens; generated and kept in dataDir when absent. */
        tokenSecret: z.string().min(16).optional(),
        /**
         * Jobs publishing outputs (Jenkins → zip → S3) at once. Each upload holds up to
         * s3.partSizeBytes × (s3.queueSize + 1) of part buffers, so this bounds memory when many
         * builds end together.
         */
        maxConcurrentUploads: positiveInt.max(64).default(4),
        /** Cap on the console tail quoted in a failure message (the API allows 5000 chars in all). */
        logTailBytes: positiveInt.max(4500).default(3000),
      })
      .strict()
      .prefault({}),
    /**
     * Inbound HTTP triggers. A source without its secret answers 404 (closed, not open to anyone).
     * Secrets belong in the environment (BRIDGE_WEBHOOK_*), not in the config file.
     */
    webhooks: z
      .object({
        /** Largest accepted body (GitHub sends up to 25 MB); larger → 413. */
        maxBodyBytes: positiveInt.default(10 * 1024 * 1024),
        github: z.object({ secret: z.string().min(1).optional() }).strict().prefault({}),
        gitlab: z.object({ token: z.string().min(1).optional() }).strict().prefault({}),
        bitbucket: z.object({ secret: z.string().min(1).optional() }).strict().prefault({}),
        /** Jenkins Notification plugin: `?token=` or the password of HTTP Basic auth. */
        jenkins: z.object({ token: z.string().min(1).optional() }).strict().prefault({}),
        /** `webhooks.generic.<name>` → POST /webhooks/generic/<name> (secret, or secretEnv naming an env variable). */
        generic: genericSourcesSchema.default({}),
        /** Which deliveries start which Jenkins job or pipeline (src/webhooks/routing/route-config.ts, README "Webhooks"). */
        routes: webhookRoutesSchema.default([]),
        /**
         * Requests per minute per source endpoint (a token bucket: bursts up to this many, refilled
         * evenly); over it → 429 with Retry-After. 0 = no limit.
         */
        rateLimit: z.object({ perMinute: nonNegativeInt.default(120) }).strict().prefault({}),
        /** Triggering the routed targets of accepted deliveries, after the 202. */
        trigger: z
          .object({
            /** Trigger calls (Jenkins queue POSTs, StartPipelineExecution) in flight at once. */
            concurrency: positiveInt.max(64).default(4),
            /** Transient failures (Jenkins or CodePipeline down) are retried with backoff: by default 10 attempts over 2 to 4 minutes. */
            retry: z
              .object({
                maxAttempts: positiveInt.max(50).default(10),
                baseDelayMs: positiveInt.default(1 * SECOND),
                maxDelayMs: positiveInt.default(1 * MINUTE),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .superRefine(checkWebhookRouting)
      .prefault({}),
    events: z
      .object({
        /**
         * EventBridge "CodePipeline Action Execution State Change" (API destination) → an immediate
         * PollForJobs. Bearer token or Basic password of the EventBridge connection; absent → 404.
         */
        codepipelineToken: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Cron-driven Jenkins builds and pipeline starts (src/schedules/schedule-config.ts, README "Scheduled triggers"). */
    schedules: schedulesSchema.default([]),
    dataDir: z.string().min(1).default('./.data'),
    ledger: z
      .object({
        /** Finished jobs are kept for history this long, and at most `keep` of them. */
        retentionMs: positiveInt.default(7 * 24 * 60 * MINUTE),
        keep: positiveInt.default(10_000),
        /** node-cron expression (UTC) of the pruning task. */
        pruneCron: z.string().min(1).default('17 * * * *'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        format: z.enum(['json', 'pretty']).default('json'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (Boolean(config.aws.accessKeyId) !== Boolean(config.aws.secretAccessKey)) {
      ctx.addIssue({ code: 'custom', path: ['aws', config.aws.accessKeyId ? 'secretAccessKey' : 'accessKeyId'], message: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together' });
    }
  });

export type BridgeConfig = z.infer<typeof configSchema>;
export type BridgeConfigInput = z.input<typeof configSchema>;

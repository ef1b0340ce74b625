import { join } from 'node:path';
import { AccessKey, parseAccessKeys } from '@fopflow/auth';
import { parseRedisUrl } from '@fopflow/queue';
import { z } from 'zod';
import { StorageSettings, storageEnvSchema, storageSettings } from './storage.settings';
import { AnonymousLimits, loadTiers, TierSettings } from './tiers';

const MiB = 1024 * 1024;

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean));

/** Every variable Fopflow reads, with its default. Parsed once, at start-up. */
const envSchema = z.object({
  PORT: int(8080, 0),
  FOPFLOW_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  FOPFLOW_PUBLIC_URL: z.string().url().optional(),
  // One server (redis://, rediss://), a Redis Cluster (redis+cluster://host1:port1,host2:port2)
  // or a master found through Sentinel (redis+sentinel://s1:26379,s2:26379/<master>).
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .superRefine((value, context) => {
      try {
        parseRedisUrl(value);
      } catch (error) {
        context.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      }
    }),
  FOPFLOW_DATA_DIR: z.string().min(1).default('.data'),
  FOPFLOW_TIERS: csv('paid,free'),
  FOPFLOW_DEFAULT_TIER: z.string().min(1).default('paid'),
  FOPFLOW_MAX_UPLOAD_BYTES: int(512 * MiB, 1),
  FOPFLOW_MAX_SIGNED_BODY_BYTES: int(MiB, 1024),
  FOPFLOW_MAX_BATCH_BODY_BYTES: int(8 * MiB, 1024),
  FOPFLOW_MAX_SOURCE_BYTES: int(64 * MiB, 1),
  FOPFLOW_MAX_INPUT_PIXELS: int(100_000_000, 1),
  FOPFLOW_MAX_PIPELINE_STEPS: int(10, 1),
  FOPFLOW_MAX_OUTPUT_PIXELS: int(25_000_000, 1),
  FOPFLOW_MAX_FRAMES: int(1000, 1),
  FOPFLOW_MAX_DURATION_S: int(3600, 1),
  FOPFLOW_FFMPEG_TIME_LIMIT_MS: int(10 * 60_000, 1000),
  FOPFLOW_WORK_DIR: z.string().default(''),
  FOPFLOW_KEYS: z.string().default(''),
  FOPFLOW_TIERS_FILE: z.string().default('config/tiers.json'),
  FOPFLOW_ALLOWED_TARGETS: csv(''),
  FOPFLOW_UPLOAD_CORS_ORIGINS: csv('*'),
  FOPFLOW_WEBHOOK_RETRY_S: csv('0,5,300,1800,7200,18000,28800,28800'),
  FOPFLOW_STATUS_RETENTION_S: int(10 * 24 * 3600, 60),
  FOPFLOW_MAX_FOPS_PER_JOB: int(20, 1),
  FOPFLOW_ADMIN_TOKEN: z.string().default(''),
  FOPFLOW_POOLS_FILE: z.string().default('config/pools.json'),
  FOPFLOW_RUNTIME: z.enum(['process', 'docker', 'swarm']).default('process'),
  FOPFLOW_SCALER_TICK_MS: int(1000, 100),
  FOPFLOW_JOB_LOCK_MS: int(30_000, 500),
  FOPFLOW_RECONCILE_INTERVAL_S: int(30, 1),
  FOPFLOW_RECONCILE_GRACE_S: int(60, 0),
  FOPFLOW_SYNC_WAIT_MS: int(30_000, 1),
  FOPFLOW_CACHE_MAX_BYTES: int(1024 * MiB, 1),
  FOPFLOW_SOURCE_ETAG_TTL_MS: int(1000, 0),
  FOPFLOW_HOT_RESULTS_MAX_ENTRIES: int(10_000, 0),
  FOPFLOW_HOT_RESULTS_MAX_BYTES: int(64 * MiB, 0),
  FOPFLOW_HOT_RESULT_BODY_MAX_BYTES: int(256 * 1024, 0),
  FOPFLOW_CONCURRENCY_FILE: z.string().default('config/concurrency.json'),
  FOPFLOW_CONCURRENCY: z.string().default(''),
  FOPFLOW_IMAGE_THREADS: z.string().regex(/^(|[1-9]\d*)$/, 'a whole number of at least 1').default(''),
  FOPFLOW_SOURCE_CACHE_BYTES: int(512 * MiB, 1),
  FOPFLOW_WORKER_COMMANDS: csv(''),
  FOPFLOW_JOB_RETENTION_S: int(3600, 1),
  FOPFLOW_JOB_RETENTION_COUNT: int(10_000, 1),
  FOPFLOW_LEFTOVER_MAX_AGE_S: int(3600, 60),
  FOPFLOW_SHUTDOWN_GRACE_MS: int(30_000, 0),
  FOPFLOW_UFOP_REGISTRY: z.string().regex(/^[A-Za-z0-9.-]+(?::[0-9]+)?$/).default('localhost:5000'),
  FOPFLOW_UFOP_SOCKET_DIR: z.string().default(''),
  FOPFLOW_UFOP_PIDS_LIMIT: int(128, 8),
  FOPFLOW_UFOP_TMPFS_BYTES: int(64 * MiB, MiB),
  FOPFLOW_UFOP_START_TIMEOUT_MS: int(60_000, 1000),
  FOPFLOW_UFOP_BUILD_TIMEOUT_MS: int(10 * 60_000, 1000),
  FOPFLOW_UFOP_BUILD_NETWORK: z.string().min(1).default('none'),
  FOPFLOW_UFOP_BUILD_MEMORY_BYTES: int(1024 * MiB, 64 * MiB),
  FOPFLOW_UFOP_BUILD_CPUS: z.coerce.number().min(0.01).default(1),
  FOPFLOW_MAX_COMMANDS_PER_ACCOUNT: int(20, 1),
  FOPFLOW_MAX_INSTANCES_PER_ACCOUNT: int(32, 1),
  FOPFLOW_MAX_CUSTOM_INSTANCES: int(256, 1),
  FOPFLOW_WORKER_IMAGE: z.string().min(1).default('fopflow/worker:latest'),
  ...storageEnvSchema,
});

export interface FopflowConfig {
  /** HTTP port of the gateway (default 8080; 0 picks a free one). */
  port: number;
  /** When set, /metrics is served on this port only (not on the public one); 0 picks a free one. */
  metricsPort?: number;
  /**
   * Where readers reach the gateway, without a trailing slash (default http://127.0.0.1:<port>): the URL
   * qrcode/0 encodes, and the host whose watermark image URLs name stored objects (others are fetched).
   */
  publicUrl: string;
  /** Redis holding queues, cache index and job metrics. */
  redisUrl: string;
  /** Root of buckets (with local storage), the result cache and work files (default `.data`). */
  dataDir: string;
  /** Where buckets and objects live: local disk under dataDir (default) or an S3-compatible store (FOPFLOW_STORAGE=s3). */
  storage: StorageSettings;
  /** Tier names; each gets its own queue per command (default `paid,free`). */
  tiers: string[];
  /** Tier of requests that name none (default `paid`). */
  defaultTier: string;
  limits: {
    /** Largest object an upload may store, in bytes (default 512 MiB). */
    maxUploadBytes: number;
    /** Largest body of a signed API call (JSON or form), in bytes (default 1 MiB); refused unread past it. */
    maxSignedBodyBytes: number;
    /** Largest body of `POST /v1/jobs/batch`, in bytes (default 8 MiB). */
    maxBatchBodyBytes: number;
    /** Largest source a fop may read, in bytes (default 64 MiB). */
    maxSourceBytes: number;
    /** Largest source image a fop may decode, in pixels, read from the header (default 100 MP). */
    maxInputPixels: number;
    /** Most steps in one `|` pipeline (default 10). */
    maxPipelineSteps: number;
    /** Largest result image, in pixels (default 25 MP, as Qiniu). */
    maxOutputPixels: number;
    /** Most frames of an animated source image (default 1000). */
    maxFrames: number;
    /** Longest audio/video source, in seconds (default 1 h). */
    maxDurationS: number;
    /** How long one ffmpeg run may take before it is killed, in ms (default 10 min). */
    ffmpegTimeLimitMs: number;
  };
  /** Settings of every tier and private pipeline (config/tiers.json), by name. */
  tierSettings: Record<string, TierSettings>;
  /** Rate limits of unsigned requests, per client address. */
  anonymousLimits: AnonymousLimits;
  /** Hosts and CIDRs webhooks, URL sources and outside marks may reach although private (FOPFLOW_ALLOWED_TARGETS). */
  allowedTargets: string[];
  /** Origins browsers may upload from (`POST /`, resumable v2), `*` for any (FOPFLOW_UPLOAD_CORS_ORIGINS; default `*`: the upload token is the credential). */
  uploadCorsOrigins: string[];
  /** Delays of the webhook attempts, in seconds after the previous one (default: about a day in all). */
  webhookRetryScheduleS: number[];
  /** How long an async job's status stays queryable after it ends, in seconds (default 10 days). */
  statusRetentionS: number;
  /** Most fops in one async job (default 20). */
  maxFopsPerJob: number;
  /**
   * Bearer token (or basic-auth password) of the operator API: Bull Board, pools, instances,
   * discovery, UFOP administration. FOPFLOW_ADMIN_TOKEN; when that is empty the gateway puts a
   * generated one here from `<dataDir>/admin-token` (resolveAdminToken), so it is never open.
   */
  adminToken: string;
  /** Worker pools and how they scale (config/pools.json). */
  poolsFile: string;
  /** Where the scaler runs instances: child processes, Docker containers or Swarm services. */
  runtime: 'process' | 'docker' | 'swarm';
  /** How often the scaler decides, in ms (default 1 s). */
  scalerTickMs: number;
  /** How often the leading scaler repairs async job records a crash left behind, in seconds (default 30). */
  reconcileIntervalS: number;
  /**
   * How long a record must look broken (an item running with no live job, a webhook neither
   * delivered nor failed with none queued) before it is repaired, in seconds (default 60): longer
   * than the moment between a write and the next one of a healthy job.
   */
  reconcileGraceS: number;
  /** A running job's lock, in ms: a worker that dies holding it loses the job to another after this (default 30 s). */
  jobLockMs: number;
  /** Access key pairs (FOPFLOW_KEYS `ak:sk:tier,...`): who may sign saveas URLs and API calls. */
  accessKeys: AccessKey[];
  /** Where workers keep a job's source and intermediate files; a RAM disk (/dev/shm) spares the disk. */
  workDir: string;
  /** How long a fop URL waits for its job before answering 504, in ms (default 30 s). */
  syncWaitMs: number;
  /** Bound of the on-disk result cache, in bytes (default 1 GiB). */
  cacheMaxBytes: number;
  /**
   * How long the gateway answers repeats of a fop URL from a source's etag it read earlier, in ms
   * (default 1000; 0 reads it on every request): an overwrite made elsewhere shows within this.
   */
  sourceEtagTtlMs: number;
  /** The gateway's in-memory index of cached results: most entries, bytes held, largest body held. */
  hotResults: { maxEntries: number; maxBytes: number; bodyMaxBytes: number };
  /** Worker concurrency file written by the tuning benchmark. */
  concurrencyFile: string;
  /** Per-command concurrency override: `4` for all, or `imageView2=4,imageInfo=8`. */
  concurrencyOverride: string;
  /** libvips threads per image, overriding the concurrency file's `imageThreads`; empty keeps the file's. */
  imageThreadsOverride: string;
  /** Bound of a worker's local cache of sources (under workDir), in bytes (default 512 MiB). */
  sourceCacheBytes: number;
  /** Commands this worker consumes; empty means every command of the catalogue. */
  workerCommands: string[];
  /** How long finished jobs stay visible in queues, in seconds (default 1 h). */
  jobRetentionS: number;
  /** Most finished jobs kept per queue and outcome, whatever their age (default 10000): Redis memory stays bounded under bursts. */
  jobRetentionCount: number;
  /** Unwritten this long, an upload's `.part` file or a result-cache temp file is a dead writer's leftover, swept at start (default 1 h). */
  leftoverMaxAgeS: number;
  /** How long a stopping worker may finish its active jobs, in ms (default 30 s). */
  shutdownGraceMs: number;
  /** Custom programs (UFOPs): where their images go and how each instance is confined. */
  ufop: {
    /** Registry host:port UFOP images are pushed to (default localhost:5000). */
    registry: string;
    /** Host directory of the instances' handler sockets (default <dataDir>/ufop-sockets). */
    socketDir: string;
    /** Most processes one UFOP instance may run (default 128). */
    pidsLimit: number;
    /** Size of an instance's writable /tmp, in bytes (default 64 MiB). */
    tmpfsBytes: number;
    /** How long a new instance may take to answer /health, in ms (default 60 s). */
    startTimeoutMs: number;
    /** Longest image build, in ms (default 10 min). */
    buildTimeoutMs: number;
    /** Docker network of build steps (default `none`: a step reaches nothing, the platform's services included). */
    buildNetwork: string;
    /** Memory of each build step, in bytes, swap included (default 1 GiB). */
    buildMemoryBytes: number;
    /** CPU of each build step, in cores (default 1). */
    buildCpus: number;
    /** Most custom commands one access key may register (default 20). */
    maxCommandsPerAccount: number;
    /** Most instances one access key may ask for over all its commands, pinned or autoscaled (default 32). */
    maxInstancesPerAccount: number;
    /** Most instances all custom commands together may ask for, the operator's included (default 256). */
    maxCustomInstances: number;
  };
  /** Image of worker instances the docker and swarm runtimes start for custom commands. */
  workerImage: string;
}

/** Thrown when the environment holds a bad value; names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses and validates `env` into a typed config; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FopflowConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (!e.FOPFLOW_TIERS.includes(e.FOPFLOW_DEFAULT_TIER)) {
    throw new ConfigError(
      `invalid configuration: FOPFLOW_DEFAULT_TIER '${e.FOPFLOW_DEFAULT_TIER}' is not one of FOPFLOW_TIERS (${e.FOPFLOW_TIERS.join(', ')})`,
    );
  }
  const badTier = e.FOPFLOW_TIERS.find((tier) => !/^[a-z0-9_-]+$/.test(tier));
  if (badTier !== undefined) {
    throw new ConfigError(`invalid configuration: FOPFLOW_TIERS: '${badTier}' may hold only a-z, 0-9, '_' and '-'`);
  }
  let accessKeys: AccessKey[];
  try {
    accessKeys = parseAccessKeys(e.FOPFLOW_KEYS, e.FOPFLOW_TIERS);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  let tierSettings: Record<string, TierSettings>;
  let anonymousLimits: AnonymousLimits;
  try {
    ({ tiers: tierSettings, anonymous: anonymousLimits } = loadTiers(e.FOPFLOW_TIERS_FILE, e.FOPFLOW_TIERS));
  } catch (error) {
    throw new ConfigError(`invalid configuration: FOPFLOW_TIERS_FILE ${(error as Error).message}`);
  }
  const webhookRetryScheduleS = e.FOPFLOW_WEBHOOK_RETRY_S.map(Number);
  if (webhookRetryScheduleS.some((delay) => !Number.isFinite(delay) || delay < 0)) {
    throw new ConfigError(`invalid configuration: FOPFLOW_WEBHOOK_RETRY_S must be seconds separated by commas`);
  }
  return {
    tierSettings,
    anonymousLimits,
    allowedTargets: e.FOPFLOW_ALLOWED_TARGETS,
    uploadCorsOrigins: e.FOPFLOW_UPLOAD_CORS_ORIGINS,
    webhookRetryScheduleS,
    statusRetentionS: e.FOPFLOW_STATUS_RETENTION_S,
    maxFopsPerJob: e.FOPFLOW_MAX_FOPS_PER_JOB,
    adminToken: e.FOPFLOW_ADMIN_TOKEN,
    poolsFile: e.FOPFLOW_POOLS_FILE,
    runtime: e.FOPFLOW_RUNTIME,
    scalerTickMs: e.FOPFLOW_SCALER_TICK_MS,
    jobLockMs: e.FOPFLOW_JOB_LOCK_MS,
    reconcileIntervalS: e.FOPFLOW_RECONCILE_INTERVAL_S,
    reconcileGraceS: e.FOPFLOW_RECONCILE_GRACE_S,
    accessKeys,
    port: e.PORT,
    metricsPort: e.FOPFLOW_METRICS_PORT,
    publicUrl: (e.FOPFLOW_PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    redisUrl: e.REDIS_URL,
    dataDir: e.FOPFLOW_DATA_DIR,
    storage: storageSettings(e, e.FOPFLOW_DATA_DIR),
    tiers: Object.keys(tierSettings),
    defaultTier: e.FOPFLOW_DEFAULT_TIER,
    limits: {
      maxUploadBytes: e.FOPFLOW_MAX_UPLOAD_BYTES,
      maxSignedBodyBytes: e.FOPFLOW_MAX_SIGNED_BODY_BYTES,
      maxBatchBodyBytes: e.FOPFLOW_MAX_BATCH_BODY_BYTES,
      maxSourceBytes: e.FOPFLOW_MAX_SOURCE_BYTES,
      maxInputPixels: e.FOPFLOW_MAX_INPUT_PIXELS,
      maxPipelineSteps: e.FOPFLOW_MAX_PIPELINE_STEPS,
      maxOutputPixels: e.FOPFLOW_MAX_OUTPUT_PIXELS,
      maxFrames: e.FOPFLOW_MAX_FRAMES,
      maxDurationS: e.FOPFLOW_MAX_DURATION_S,
      ffmpegTimeLimitMs: e.FOPFLOW_FFMPEG_TIME_LIMIT_MS,
    },
    workDir: e.FOPFLOW_WORK_DIR || join(e.FOPFLOW_DATA_DIR, 'work'),
    syncWaitMs: e.FOPFLOW_SYNC_WAIT_MS,
    cacheMaxBytes: e.FOPFLOW_CACHE_MAX_BYTES,
    sourceEtagTtlMs: e.FOPFLOW_SOURCE_ETAG_TTL_MS,
    hotResults: {
      maxEntries: e.FOPFLOW_HOT_RESULTS_MAX_ENTRIES,
      maxBytes: e.FOPFLOW_HOT_RESULTS_MAX_BYTES,
      bodyMaxBytes: e.FOPFLOW_HOT_RESULT_BODY_MAX_BYTES,
    },
    concurrencyFile: e.FOPFLOW_CONCURRENCY_FILE,
    concurrencyOverride: e.FOPFLOW_CONCURRENCY,
    imageThreadsOverride: e.FOPFLOW_IMAGE_THREADS,
    sourceCacheBytes: e.FOPFLOW_SOURCE_CACHE_BYTES,
    workerCommands: e.FOPFLOW_WORKER_COMMANDS,
    jobRetentionS: e.FOPFLOW_JOB_RETENTION_S,
    jobRetentionCount: e.FOPFLOW_JOB_RETENTION_COUNT,
    leftoverMaxAgeS: e.FOPFLOW_LEFTOVER_MAX_AGE_S,
    shutdownGraceMs: e.FOPFLOW_SHUTDOWN_GRACE_MS,
    ufop: {
      registry: e.FOPFLOW_UFOP_REGISTRY,
      socketDir: e.FOPFLOW_UFOP_SOCKET_DIR || join(e.FOPFLOW_DATA_DIR, 'ufop-sockets'),
      pidsLimit: e.FOPFLOW_UFOP_PIDS_LIMIT,
      tmpfsBytes: e.FOPFLOW_UFOP_TMPFS_BYTES,
      startTimeoutMs: e.FOPFLOW_UFOP_START_TIMEOUT_MS,
      buildTimeoutMs: e.FOPFLOW_UFOP_BUILD_TIMEOUT_MS,
      buildNetwork: e.FOPFLOW_UFOP_BUILD_NETWORK,
      buildMemoryBytes: e.FOPFLOW_UFOP_BUILD_MEMORY_BYTES,
      buildCpus: e.FOPFLOW_UFOP_BUILD_CPUS,
      maxCommandsPerAccount: e.FOPFLOW_MAX_COMMANDS_PER_ACCOUNT,
      maxInstancesPerAccount: e.FOPFLOW_MAX_INSTANCES_PER_ACCOUNT,
      maxCustomInstances: e.FOPFLOW_MAX_CUSTOM_INSTANCES,
    },
    workerImage: e.FOPFLOW_WORKER_IMAGE,
  };
}

import { z } from 'zod';

/** Where buckets and objects live. Credentials are not here: the AWS SDK reads them itself. */
export type StorageSettings =
  | { driver: 'local'; dataDir: string }
  | {
      driver: 's3';
      s3: S3Settings;
      /** Bound of each process's local copies of result bodies, in bytes (FOPFLOW_CACHE_FRONT_MAX_BYTES, default 256 MiB; 0: none). */
      resultFrontMaxBytes: number;
    };

export interface S3Settings {
  /** The one S3 bucket that holds every Fopflow bucket, under prefixes (FOPFLOW_S3_BUCKET, default `fopflow`). */
  bucket: string;
  /** Endpoint of a server other than AWS, e.g. http://minio:9000 (FOPFLOW_S3_ENDPOINT; default: AWS's own). */
  endpoint?: string;
  /** AWS_REGION (default us-east-1; most other servers ignore it but the signature needs one). */
  region: string;
  /** Bucket in the path, not the host name: what MinIO, Ceph and s3rver need (FOPFLOW_S3_PATH_STYLE; default on when an endpoint is set). */
  forcePathStyle: boolean;
}

const flag = z.enum(['true', 'false', '1', '0', '']).default('').transform((value) => (value === '' ? undefined : value === 'true' || value === '1'));

/** The variables of storage; part of the one environment schema. */
export const storageEnvSchema = {
  FOPFLOW_STORAGE: z.enum(['local', 's3']).default('local'),
  FOPFLOW_S3_ENDPOINT: z.string().url().optional().or(z.literal('').transform(() => undefined)),
  // S3's own naming rules: 3-63 lower-case letters, digits, dots and hyphens.
  FOPFLOW_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name').default('fopflow'),
  FOPFLOW_S3_PATH_STYLE: flag,
  AWS_REGION: z.string().min(1).default('us-east-1'),
  FOPFLOW_CACHE_FRONT_MAX_BYTES: z.coerce.number().int().min(0).default(256 * 1024 * 1024),
};

type StorageEnv = z.output<z.ZodObject<typeof storageEnvSchema>>;

/** The storage settings the parsed environment names. */
export function storageSettings(e: StorageEnv, dataDir: string): StorageSettings {
  if (e.FOPFLOW_STORAGE === 'local') return { driver: 'local', dataDir };
  return {
    driver: 's3',
    s3: {
      bucket: e.FOPFLOW_S3_BUCKET,
      endpoint: e.FOPFLOW_S3_ENDPOINT,
      region: e.AWS_REGION,
      forcePathStyle: e.FOPFLOW_S3_PATH_STYLE ?? e.FOPFLOW_S3_ENDPOINT !== undefined,
    },
    resultFrontMaxBytes: e.FOPFLOW_CACHE_FRONT_MAX_BYTES,
  };
}

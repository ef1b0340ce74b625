import { S3Client } from '@aws-sdk/client-s3';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** How to reach the store; credentials come from the AWS SDK's own chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles). */
export interface S3StorageOptions {
  /** The one S3 bucket that holds every Fopflow bucket. */
  bucket: string;
  /** Endpoint of a server other than AWS (MinIO, Ceph RGW, R2, s3rver); absent means AWS. */
  endpoint?: string;
  region: string;
  /** Bucket in the path rather than the host name, as most servers other than AWS need. */
  forcePathStyle: boolean;
  /** Keys given in code (tests, embedding); absent, the SDK's chain finds them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Sockets to the store per process: each open object stream holds one until it ends. */
const maxSockets = 256;

export function createS3Client(options: S3StorageOptions): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    // Checksums only where S3 requires them: the default (a trailing CRC in aws-chunked bodies)
    // is not understood by several S3-compatible servers, and qetag already checks the bytes end to end.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    },
  });
}

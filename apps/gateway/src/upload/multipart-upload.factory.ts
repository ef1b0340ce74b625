import { join } from 'node:path';
import type { FopflowConfig } from '@fopflow/config';
import type { RedisClient } from '@fopflow/queue';
import { createS3Client } from '@fopflow/storage';
import { LocalDiskUploadStore } from './local-disk-upload.store';
import type { MultipartUploadStore } from './multipart-upload.store';
import { S3UploadStore } from './s3-upload.store';

/**
 * Where resumable uploads' parts wait, by the storage setting: with S3, in the store and Redis
 * every gateway shares (a balancer may send each part to another gateway); on local disk, under
 * `<dataDir>/multipart` of the one gateway that shares the data dir's disk.
 */
export function createMultipartUploadStore(config: FopflowConfig, redis: RedisClient): MultipartUploadStore {
  const { storage } = config;
  if (storage.driver === 's3') return new S3UploadStore(redis, createS3Client(storage.s3), storage.s3.bucket);
  return new LocalDiskUploadStore(join(config.dataDir, 'multipart'));
}

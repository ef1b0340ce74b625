import { ObjectAccess } from '@fopflow/auth';
import type { BucketInfo, ObjectStorage } from './storage.types';
import { StorageError } from './storage.errors';

/** The access decision over `storage`'s bucket settings; a missing bucket is undefined, not an error. */
export function bucketAccess(storage: Pick<ObjectStorage, 'getBucket'>, aclTtlMs?: number): ObjectAccess<BucketInfo> {
  return new ObjectAccess<BucketInfo>({
    aclTtlMs,
    lookup: (bucket) =>
      storage.getBucket(bucket).catch((error: unknown) => {
        if (error instanceof StorageError && error.code === 'NoSuchBucket') return undefined;
        throw error;
      }),
  });
}

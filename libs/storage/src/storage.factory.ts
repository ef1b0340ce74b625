import { LocalDiskStorage } from './local-disk.storage';
import type { S3StorageOptions } from './s3/s3-client.factory';
import { S3Storage } from './s3/s3.storage';
import type { ObjectStorage } from './storage.types';

/** Which driver, and its settings: the shape of the config library's StorageSettings. */
export type StorageChoice = { driver: 'local'; dataDir: string } | { driver: 's3'; s3: S3StorageOptions };

/** The ObjectStorage configuration asks for; every app builds its storage here. */
export function createObjectStorage(choice: StorageChoice): ObjectStorage {
  return choice.driver === 's3' ? new S3Storage(choice.s3) : new LocalDiskStorage(choice.dataDir);
}

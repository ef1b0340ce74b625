export { LocalDiskStorage } from './local-disk.storage';
export { chooseMime, sniffMime } from './mime-sniff';
export { qetag, QetagHasher, qetagBlockBytes } from './qetag';
export { StorageError } from './storage.errors';
export type { StorageErrorCode } from './storage.errors';
export { maxKeyBytes, reservedBucketNames } from './storage-names.validator';
export { OBJECT_STORAGE } from './storage.token';
export type { BucketChange, BucketInfo, BucketOptions, ByteRange, ListOptions, ListResult, ObjectInfo, ObjectStorage, PutOptions } from './storage.types';
export { bucketAccess } from './bucket-access';

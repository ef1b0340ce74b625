import { join } from 'node:path';
import type { ObjectStorage, StorageChoice } from '@fopflow/storage';
import type { ResultCacheOptions } from './result-cache';

/** The parts of the platform's configuration the result cache follows. */
export interface ResultCacheSettings {
  dataDir: string;
  cacheMaxBytes: number;
  storage: StorageChoice & { resultFrontMaxBytes?: number };
}

/**
 * Where a gateway or worker keeps result bodies: under the data dir with local storage; in the
 * shared object store, with a bounded local front tier, when storage is S3 (hosts share nothing else).
 */
export function resultCacheOptions(settings: ResultCacheSettings, storage: ObjectStorage): ResultCacheOptions {
  const dir = join(settings.dataDir, 'cache');
  if (settings.storage.driver !== 's3') return { dir, maxBytes: settings.cacheMaxBytes };
  return { dir, maxBytes: settings.cacheMaxBytes, storage, frontMaxBytes: settings.storage.resultFrontMaxBytes };
}

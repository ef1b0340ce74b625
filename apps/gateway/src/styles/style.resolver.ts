import { Inject, Injectable } from '@nestjs/common';
import { BucketInfo, OBJECT_STORAGE, ObjectStorage, StorageError } from '@fopflow/storage';
import { splitStyledKey, StyledKey } from './style.rules';

/**
 * Reads a URL's key as `<key><separator><style>`. An object stored under the whole key wins, as
 * on Qiniu, so a key that happens to end in `-thumb` stays reachable; only when no such object
 * exists and the text after the last separator names a style of the bucket is the URL styled.
 */
@Injectable()
export class StyleResolver {
  constructor(@Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage) {}

  /** The style the key asks for, or undefined when the key is an object's own (or names no style). */
  async resolve(bucket: BucketInfo, key: string): Promise<StyledKey | undefined> {
    const styled = splitStyledKey(key, bucket);
    if (!styled) return undefined;
    try {
      await this.storage.stat(bucket.name, key);
      return undefined;
    } catch (error) {
      if (error instanceof StorageError && error.code === 'NoSuchKey') return styled;
      throw error;
    }
  }
}

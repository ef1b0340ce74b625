import type { BucketChange, BucketInfo } from '@fopflow/storage';
import { GatewayError } from '../http/error.filter';
import { styleNameProblem } from '../styles/style.rules';

/** Settings a `PUT /v1/buckets/{bucket}` body may name. */
export interface BucketSettings {
  private?: boolean;
  protected?: boolean;
  separator?: string;
}

/**
 * The change `settings` make to `bucket`: only the fields that differ, undefined when none does.
 * 400 when one of the bucket's style names holds a new separator (its URLs could no longer tell
 * key from style); the separator itself was checked by bucketSettingsSchema.
 */
export function bucketSettingsChange(settings: BucketSettings, bucket: BucketInfo): BucketChange | undefined {
  const change: BucketChange = {};
  if (settings.private !== undefined && settings.private !== bucket.private) change.private = settings.private;
  if (settings.protected !== undefined && settings.protected !== (bucket.protected ?? false)) change.protected = settings.protected;
  if (settings.separator !== undefined && settings.separator !== bucket.separator) {
    for (const name of Object.keys(bucket.styles ?? {})) {
      const clash = styleNameProblem(name, settings.separator);
      if (clash) throw new GatewayError(400, clash);
    }
    change.separator = settings.separator;
  }
  return Object.keys(change).length ? change : undefined;
}

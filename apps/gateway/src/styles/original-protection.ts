import { OPERATOR_ACCOUNT } from '@fopflow/auth';
import type { ObjectInfo } from '@fopflow/storage';
import { GatewayError } from '../http/error.filter';
import type { UrlReader } from '../auth/access.policy';
import { separatorsOf } from './style.rules';

/**
 * Qiniu's original-image protection (原图保护): in a bucket that turned it on, an image is served
 * only through one of the bucket's styles, or to a reader the owner vouches for (a download token
 * of the owner's key, or the operator). A raw read and an ad-hoc fop URL are both refused, as on
 * Qiniu: a fop in the URL would let anyone ask for the original at full size. Objects that are
 * not images (by their stored type) are not protected.
 */
export function refuseUnstyledImage(reader: UrlReader, object: ObjectInfo, fop: string | undefined): void {
  if (!reader.bucket.protected || !object.mime.startsWith('image/')) return;
  if (reader.account === OPERATOR_ACCOUNT || (reader.bucket.owner !== undefined && reader.account === reader.bucket.owner)) return;
  const how = fop === undefined ? 'its original' : 'a fop URL of it';
  throw new GatewayError(
    403,
    `bucket '${reader.bucket.name}' protects its original images: ${how} is served only to a URL signed by the owner; ` +
      `ask for a style, /${reader.bucket.name}/${object.key}<separator><style> with a separator of '${separatorsOf(reader.bucket)}'`,
  );
}

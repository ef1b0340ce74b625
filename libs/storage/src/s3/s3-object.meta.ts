import type { ObjectInfo } from '../storage.types';

/** User metadata names (x-amz-meta-*) of what Qiniu clients read back: hash and putTime; mime is the Content-Type. */
const hashField = 'qetag';
const putTimeField = 'put-time';

/** What a HEAD or GET of an object answers, as the SDK gives it. */
export interface S3ObjectHead {
  ContentLength?: number;
  ContentRange?: string;
  ContentType?: string;
  ETag?: string;
  LastModified?: Date;
  Metadata?: Record<string, string>;
}

/** The user metadata that carries an object's qetag and putTime through S3. */
export function objectMetadata(info: Pick<ObjectInfo, 'etag' | 'putTime'>): Record<string, string> {
  return { [hashField]: info.etag, [putTimeField]: String(info.putTime) };
}

/**
 * ObjectInfo from an S3 answer. Objects written by other means than Fopflow have no qetag: their
 * S3 ETag stands in, so they still read, list and key the result cache.
 */
export function objectInfoFromHead(bucket: string, key: string, head: S3ObjectHead): ObjectInfo {
  const metadata = head.Metadata ?? {};
  const putTime = Number(metadata[putTimeField]);
  return {
    bucket,
    key,
    size: totalSize(head),
    etag: metadata[hashField] ?? (head.ETag ?? '').replace(/"/g, ''),
    mime: head.ContentType || 'application/octet-stream',
    putTime: Number.isFinite(putTime) && metadata[putTimeField] !== undefined ? putTime : (head.LastModified?.getTime() ?? 0),
  };
}

/** Size of the whole object: a ranged answer's Content-Range says it after the slash. */
function totalSize(head: S3ObjectHead): number {
  const whole = /\/(\d+)$/.exec(head.ContentRange ?? '');
  return whole ? Number(whole[1]) : (head.ContentLength ?? 0);
}

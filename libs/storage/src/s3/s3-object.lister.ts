import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sortKeys } from '../object-list.pager';

export interface S3KeyPageRequest {
  client: S3Client;
  s3Bucket: string;
  /** The bucket's prefix in the S3 bucket (objects/<bucket>/), cut from every key answered. */
  root: string;
  prefix: string;
  marker: string;
  limit: number;
  delimiter: string;
}

export interface S3KeyPage {
  keys: string[];
  commonPrefixes: string[];
  nextMarker?: string;
}

/**
 * One page of keys as Fopflow lists them (see object-list.pager.ts): S3's ListObjectsV2 with
 * StartAfter = marker does the work. A common prefix given as marker is not listed again, which
 * S3 leaves to the client: one extra entry is asked for to make up for it.
 */
export async function listS3Keys(request: S3KeyPageRequest): Promise<S3KeyPage> {
  const { client, s3Bucket, root, prefix, marker, limit, delimiter } = request;
  const answer = await client.send(
    new ListObjectsV2Command({
      Bucket: s3Bucket,
      Prefix: root + prefix,
      StartAfter: marker ? root + marker : undefined,
      Delimiter: delimiter || undefined,
      MaxKeys: limit + 1,
    }),
  );
  const keys = (answer.Contents ?? []).map((item) => item.Key!.slice(root.length));
  const prefixes = (answer.CommonPrefixes ?? []).map((item) => item.Prefix!.slice(root.length)).filter((entry) => entry !== marker);
  const prefixSet = new Set(prefixes);
  // Keys and common prefixes come back in two lists; a page is one sequence in byte order.
  const entries = sortKeys([...keys, ...prefixes]);
  const page = entries.slice(0, limit);
  const result: S3KeyPage = {
    keys: page.filter((entry) => !prefixSet.has(entry)),
    commonPrefixes: page.filter((entry) => prefixSet.has(entry)),
  };
  if (entries.length > limit || (answer.IsTruncated && page.length > 0)) result.nextMarker = page[page.length - 1];
  return result;
}

import { GetObjectCommand, type GetObjectCommandOutput, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BucketInfo } from '../storage.types';
import { bucketRecordKey } from './s3-key.layout';
import { isS3NotFound, storeUnavailable } from './s3.errors';

/** Reads of a bucket record that came back cut short, and the pause between them. */
const recordReadAttempts = 5;
const recordRetryMs = 20;

/** The records of Fopflow buckets (owner, private flag, creation time): one small JSON object each, under buckets/. */
export class S3BucketRecords {
  constructor(
    private readonly client: S3Client,
    private readonly s3Bucket: string,
  ) {}

  /** The record of `bucket`, or undefined when there is none. */
  async read(bucket: string): Promise<BucketInfo | undefined> {
    for (let attempt = 1; ; attempt++) {
      let answer: GetObjectCommandOutput;
      try {
        answer = await this.client.send(new GetObjectCommand({ Bucket: this.s3Bucket, Key: bucketRecordKey(bucket) }));
      } catch (error) {
        if (isS3NotFound(error)) return undefined;
        throw storeUnavailable(error, `reading bucket ${bucket}`);
      }
      try {
        return JSON.parse(await answer.Body!.transformToString('utf8')) as BucketInfo;
      } catch (error) {
        // S3 never shows a half-written object; servers that write in place (s3rver) can, while a racing creator
        // writes: the body then comes back cut short (the response aborted) or as broken JSON. Both are read again.
        if (attempt >= recordReadAttempts) throw storeUnavailable(error, `reading bucket ${bucket}`);
        await sleep(recordRetryMs);
      }
    }
  }

  /** Writes a record whole; `onlyIfAbsent` makes it a conditional create (If-None-Match), where the server supports it. */
  async write(info: BucketInfo, onlyIfAbsent: boolean): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.s3Bucket,
        Key: bucketRecordKey(info.name),
        Body: JSON.stringify(info),
        ContentType: 'application/json',
        IfNoneMatch: onlyIfAbsent ? '*' : undefined,
      }),
    );
  }
}

/** Every S3 object under `prefix`, page after page. */
export async function* s3ItemsUnder(client: S3Client, s3Bucket: string, prefix: string): AsyncGenerator<{ Key?: string; LastModified?: Date }> {
  let token: string | undefined;
  do {
    const answer = await client.send(new ListObjectsV2Command({ Bucket: s3Bucket, Prefix: prefix, ContinuationToken: token })).catch((error: unknown) => {
      throw storeUnavailable(error, `listing ${prefix}`);
    });
    yield* answer.Contents ?? [];
    token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
  } while (token);
}

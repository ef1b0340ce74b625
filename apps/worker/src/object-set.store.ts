import { createReadStream } from 'node:fs';
import { Account, ObjectAccess } from '@fopflow/auth';
import { FopError } from '@fopflow/errors';
import { BucketInfo, ObjectInfo, ObjectStorage } from '@fopflow/storage';
import type { WorkFile } from './pipeline.runner';

/** Members of a set written at once: enough to keep the disk busy, few enough to stay fair. */
const memberWriteConcurrency = 4;

/**
 * Stores a set of objects (an HLS playlist and its segments, vsample's images and index) so that
 * no half-set is ever visible under the primary key: every member is written first, the primary
 * (the playlist, the index) last. When a write fails, the members already written are removed
 * again, and the primary, which names them, was never written. The job's account must be allowed
 * to write the target's bucket, which holds every member too; it is decided here again, whatever
 * the gateway decided, so a job queued around the gateway writes nothing its account may not.
 */
export async function storeObjectSet(
  storage: ObjectStorage,
  access: ObjectAccess<BucketInfo>,
  account: Account,
  target: { bucket: string; key: string },
  produced: WorkFile,
  maxBytes: number,
): Promise<ObjectInfo> {
  const members = produced.members ?? [];
  await access.authorize(account, 'write', target.bucket, `saveas ${target.bucket}:${target.key} and its ${members.length} members`);
  const keys = new Set(members.map((member) => member.key));
  if (keys.size !== members.length || keys.has(target.key)) {
    throw new FopError(400, 'ObjectSetKeys', `two objects of the set would share one key (the pattern must give each member its own key, other than ${target.key})`);
  }
  const written: string[] = [];
  try {
    for (let next = 0; next < members.length; next += memberWriteConcurrency) {
      // Every write of the batch settles before a failure is thrown: a write still in flight when
      // the clean-up ran would leave its member behind.
      const outcomes = await Promise.allSettled(
        members.slice(next, next + memberWriteConcurrency).map(async (member) => {
          await storage.put(target.bucket, member.key, createReadStream(member.path), { maxBytes, mime: member.mime, owner: account });
          written.push(member.key);
        }),
      );
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    }
    return await storage.put(target.bucket, target.key, createReadStream(produced.path), { maxBytes, mime: produced.mime, owner: account });
  } catch (error) {
    await Promise.all(written.map((key) => storage.delete(target.bucket, key).catch(() => undefined)));
    throw error;
  }
}

import type { PersistentJobMeta } from '@fopflow/jobs';

/** The record of a native async job over media/photo.jpg, as the gateway writes one; `extra` changes any field. */
export function jobMeta(id: string, fops: string[], extra: Partial<PersistentJobMeta> = {}): PersistentJobMeta {
  return {
    id,
    kind: 'native',
    owner: 'ak-owner',
    queueTier: 'paid',
    inputBucket: 'media',
    inputKey: 'photo.jpg',
    pipeline: '0.default',
    fops,
    force: false,
    createdAt: Date.now(),
    reqid: 'r',
    ...extra,
  };
}

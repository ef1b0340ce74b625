import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalDiskStorage } from './local-disk.storage';
import { describeStorageContract } from './testing/storage.contract';
import { maxKeyBytes } from './storage-names.validator';

/** Staging entries of unfinished writes: `<root>/tmp/*` and `<root>/buckets/<bucket>/tmp/*`. */
async function stagingEntries(root: string): Promise<string[]> {
  const list = (dir: string) => fs.readdir(dir).catch(() => [] as string[]);
  const found = (await list(path.join(root, 'tmp'))).map((name) => `tmp/${name}`);
  for (const bucket of await list(path.join(root, 'buckets'))) {
    found.push(...(await list(path.join(root, 'buckets', bucket, 'tmp'))).map((name) => `buckets/${bucket}/tmp/${name}`));
  }
  return found;
}

describeStorageContract('local disk', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'fopflow-storage-'));
  return {
    storage: new LocalDiskStorage(root),
    maxKeyBytes: () => maxKeyBytes,
    atomicWrites: true,
    leftovers: () => stagingEntries(root),
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
});

describe('LocalDiskStorage', () => {
  let root: string;
  let storage: LocalDiskStorage;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'fopflow-storage-'));
    storage = new LocalDiskStorage(root);
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('rejects invalid keys and bucket names before touching disk', async () => {
    await expect(storage.put('media', 'a/../b', Buffer.from('x'), { maxBytes: 10 })).rejects.toMatchObject({ status: 400, code: 'InvalidKey' });
    await expect(storage.put('ready', 'k', Buffer.from('x'), { maxBytes: 10 })).rejects.toMatchObject({ status: 400, code: 'InvalidBucketName' });
    await expect(fs.readdir(root)).resolves.toEqual([]);
  });

  it('removes the files of deleted keys, long ones included', async () => {
    for (const key of ['x'.repeat(1024), '照片/猫 1.jpg']) {
      await storage.put('media', key, Buffer.from('v'), { maxBytes: 10 });
      await storage.delete('media', key);
    }
    expect(await fs.readdir(path.join(root, 'buckets/media/objects'))).toEqual([]);
  });
});

import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketAccess, LocalDiskStorage } from '@fopflow/storage';
import { storeObjectSet } from './object-set.store';
import type { WorkFile } from './pipeline.runner';

// How a set of objects is stored: members first, the primary last, nothing half-visible when a
// write fails, and the write decided for the job's account (real local-disk storage and decision).

let dir: string;
let storage: LocalDiskStorage;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'fopflow-object-set-'));
  storage = new LocalDiskStorage(join(dir, 'data'));
  await storage.createBucket('media', { owner: 'AK_OWNER' });
});

afterEach(() => fs.rm(dir, { recursive: true, force: true }));

async function file(name: string, bytes: number): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, Buffer.alloc(bytes, 7));
  return path;
}

async function playlistSet(segmentBytes = 100): Promise<WorkFile> {
  return {
    path: await file('index.m3u8', 40),
    mime: 'application/vnd.apple.mpegurl',
    members: [
      { key: 'v/a-000000.ts', path: await file('s0.ts', 100), mime: 'video/mp2t' },
      { key: 'v/a-000001.ts', path: await file('s1.ts', segmentBytes), mime: 'video/mp2t' },
    ],
  };
}

const keys = async () => (await storage.list('media')).items.map((item) => item.key).sort();

describe('storeObjectSet', () => {
  it('stores every member and then the primary at the target', async () => {
    const info = await storeObjectSet(storage, bucketAccess(storage, 0), 'AK_OWNER', { bucket: 'media', key: 'v/a.m3u8' }, await playlistSet(), 1000);
    expect(info).toMatchObject({ bucket: 'media', key: 'v/a.m3u8', size: 40, mime: 'application/vnd.apple.mpegurl' });
    expect(await keys()).toEqual(['v/a-000000.ts', 'v/a-000001.ts', 'v/a.m3u8']);
    expect((await storage.stat('media', 'v/a-000001.ts')).mime).toBe('video/mp2t');
  });

  it('leaves nothing of the set when a member cannot be written', async () => {
    const set = await playlistSet(5000);
    await expect(storeObjectSet(storage, bucketAccess(storage, 0), 'AK_OWNER', { bucket: 'media', key: 'v/a.m3u8' }, set, 1000)).rejects.toMatchObject({ status: 413 });
    expect(await keys()).toEqual([]);
  });

  it("refuses another tenant's bucket before writing anything", async () => {
    await expect(storeObjectSet(storage, bucketAccess(storage, 0), 'AK_OTHER', { bucket: 'media', key: 'v/a.m3u8' }, await playlistSet(), 1000)).rejects.toMatchObject({
      status: 403,
    });
    expect(await keys()).toEqual([]);
  });

  it('refuses members that share a key, or take the primary’s', async () => {
    const set = await playlistSet();
    set.members![1].key = 'v/a.m3u8';
    await expect(storeObjectSet(storage, bucketAccess(storage, 0), 'AK_OWNER', { bucket: 'media', key: 'v/a.m3u8' }, set, 1000)).rejects.toMatchObject({ status: 400 });
    expect(await keys()).toEqual([]);
  });
});

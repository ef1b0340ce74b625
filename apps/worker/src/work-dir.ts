import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** A job's private directory for its source and intermediate files; gone when the job ends. */
export interface WorkDir {
  path: string;
  /** A fresh file name inside the directory. */
  file(name: string): string;
  remove(): Promise<void>;
}

/** Creates a work directory under `root` (a RAM disk such as /dev/shm spares the disk). */
export async function createWorkDir(root: string, label: string): Promise<WorkDir> {
  const path = join(root, `${label.replace(/[^\w.-]/g, '_').slice(0, 40)}-${randomUUID()}`);
  await fs.mkdir(path, { recursive: true });
  let counter = 0;
  return {
    path,
    file: (name) => join(path, `${++counter}-${name}`),
    remove: () => fs.rm(path, { recursive: true, force: true }),
  };
}

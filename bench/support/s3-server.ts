import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports';

/** s3rver's one account; it checks every request's signature against it. */
const S3RVER_KEY = 'S3RVER';

/** An S3-speaking server for one test file, and a bucket of its own on it. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** What the platform's processes need to use it: FOPFLOW_STORAGE=s3 and the AWS variables. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The npm s3rver on 127.0.0.1 and a free port, in a process of its own (as a real server would
 * be); or, with FOPFLOW_TEST_S3_ENDPOINT (+ FOPFLOW_TEST_S3_ACCESS_KEY_ID,
 * FOPFLOW_TEST_S3_SECRET_ACCESS_KEY, FOPFLOW_TEST_S3_REGION), any other S3: MinIO, Ceph, AWS.
 * Either way each call gets a fresh bucket, which the storage creates on first use.
 */
export async function startS3(): Promise<TestS3> {
  const bucket = `fopflow-test-${randomUUID().slice(0, 13)}`;
  const external = process.env.FOPFLOW_TEST_S3_ENDPOINT;
  if (external) {
    const credentials = {
      accessKeyId: process.env.FOPFLOW_TEST_S3_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.FOPFLOW_TEST_S3_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? '',
    };
    return described(external, bucket, process.env.FOPFLOW_TEST_S3_REGION ?? 'us-east-1', credentials, async () => undefined);
  }

  const dir = mkdtempSync(join(tmpdir(), 'fopflow-s3rver-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [require.resolve('s3rver/bin/s3rver.js'), '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--no-vhost-buckets'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`s3rver on ${port}`, async () => (await fetch(endpoint).catch(() => undefined)) !== undefined);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${errors}`);
  }
  return described(endpoint, bucket, 'us-east-1', { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY }, stop);
}

function described(endpoint: string, bucket: string, region: string, credentials: TestS3['credentials'], stop: () => Promise<void>): TestS3 {
  return {
    endpoint,
    bucket,
    region,
    credentials,
    env: {
      FOPFLOW_STORAGE: 's3',
      FOPFLOW_S3_ENDPOINT: endpoint,
      FOPFLOW_S3_BUCKET: bucket,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    stop,
  };
}

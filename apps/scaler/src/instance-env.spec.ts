import { loadConfig } from '@fopflow/config';
import { instanceEnv } from './scaler.service';

describe('instanceEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('hands S3 storage and its AWS credentials on to the instances it starts', () => {
    const s3 = {
      FOPFLOW_STORAGE: 's3',
      FOPFLOW_S3_ENDPOINT: 'http://minio:9000',
      FOPFLOW_S3_BUCKET: 'media-store',
      FOPFLOW_S3_PATH_STYLE: 'true',
      FOPFLOW_CACHE_FRONT_MAX_BYTES: '1048576',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
    };
    Object.assign(process.env, s3);
    expect(instanceEnv(loadConfig(process.env))).toMatchObject(s3);
  });

  it('hands on nothing of S3 when storage is local', () => {
    for (const name of ['FOPFLOW_STORAGE', 'FOPFLOW_S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[name];
    const env = instanceEnv(loadConfig(process.env));
    expect(Object.keys(env).filter((name) => name.startsWith('AWS_') || name.startsWith('FOPFLOW_S3_'))).toEqual([]);
  });
});

import { loadConfig } from './config';

describe('storage settings', () => {
  it('stores on local disk under the data dir by default', () => {
    expect(loadConfig({ FOPFLOW_DATA_DIR: '/srv/fopflow' }).storage).toEqual({ driver: 'local', dataDir: '/srv/fopflow' });
  });

  it('reads S3 the AWS way, with path-style on for an endpoint of its own', () => {
    const config = loadConfig({ FOPFLOW_STORAGE: 's3', FOPFLOW_S3_ENDPOINT: 'http://minio:9000', FOPFLOW_S3_BUCKET: 'media-store', AWS_REGION: 'eu-west-1' });
    expect(config.storage).toEqual({
      driver: 's3',
      s3: { bucket: 'media-store', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true },
      resultFrontMaxBytes: 256 * 1024 * 1024,
    });
  });

  it('addresses AWS itself virtual-host style unless told otherwise', () => {
    expect(loadConfig({ FOPFLOW_STORAGE: 's3' }).storage).toMatchObject({ s3: { bucket: 'fopflow', endpoint: undefined, region: 'us-east-1', forcePathStyle: false } });
    expect(loadConfig({ FOPFLOW_STORAGE: 's3', FOPFLOW_S3_PATH_STYLE: 'true' }).storage).toMatchObject({ s3: { forcePathStyle: true } });
  });

  it('names the variable of a bad value', () => {
    expect(() => loadConfig({ FOPFLOW_STORAGE: 'nfs' })).toThrow(/FOPFLOW_STORAGE/);
    expect(() => loadConfig({ FOPFLOW_STORAGE: 's3', FOPFLOW_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/FOPFLOW_S3_BUCKET: must be a valid S3 bucket name/);
    expect(() => loadConfig({ FOPFLOW_S3_ENDPOINT: 'minio' })).toThrow(/FOPFLOW_S3_ENDPOINT/);
  });
});

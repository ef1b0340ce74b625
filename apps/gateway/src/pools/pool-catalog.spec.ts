import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@fopflow/config';
import { FopSyntaxError, parsePipeline } from '@fopflow/fop';
import { PoolCatalog } from './pool-catalog';

describe('PoolCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-pools-'));
  const file = join(dir, 'pools.json');
  writeFileSync(file, JSON.stringify({ pools: { image: { commands: ['imageView2', 'imageInfo'] } } }));
  const catalog = new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: file }));

  it('lets a pipeline through when every command has a pool', () => {
    expect(() => catalog.requireRunnable(parsePipeline('imageView2/2/w/10|imageInfo'))).not.toThrow();
  });

  it('refuses a command no pool runs with a 400 naming it and its step', () => {
    const attempt = () => catalog.requireRunnable(parsePipeline('imageView2/2/w/10|avinfo'));
    expect(attempt).toThrow(FopSyntaxError);
    expect(attempt).toThrow("avinfo: no worker pool runs this command (step 2)");
  });

  it('refuses a pools file that names an unknown command or one command twice', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ pools: { a: { commands: ['nope'] } } }));
    expect(() => new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: join(dir, 'bad.json') }))).toThrow(/unknown command 'nope'/);
    writeFileSync(join(dir, 'twice.json'), JSON.stringify({ pools: { a: { commands: ['exif'] }, b: { commands: ['exif'] } } }));
    expect(() => new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: join(dir, 'twice.json') }))).toThrow(/'exif' is in pools 'a' and 'b'/);
  });
});

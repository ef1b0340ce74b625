import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@fopflow/config';
import { FopSyntaxError, parsePipeline } from '@fopflow/fop';
import { CommandRecord } from '@fopflow/ufop';
import { PoolCatalog } from './pool-catalog';

/** A registered custom command as the registry would hold it. */
const record = (name: string, changes: Partial<CommandRecord> = {}): CommandRecord => ({
  name,
  kind: 'ufop',
  owner: 'AKone',
  mode: 'public',
  flavor: 'C1M1',
  description: '',
  createdAt: 0,
  versions: [],
  currentVersion: '1',
  maxInstances: 4,
  timeoutMs: 1000,
  ...changes,
});

/** The registered commands, as the gateway's cached view answers them. */
const registered = (...records: CommandRecord[]) => {
  const byName = new Map(records.map((entry) => [entry.name, entry]));
  return { get: (name: string) => byName.get(name) };
};

describe('PoolCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fopflow-pools-'));
  const file = join(dir, 'pools.json');
  writeFileSync(file, JSON.stringify({ pools: { image: { commands: ['imageView2', 'imageInfo'] } } }));
  const catalog = new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: file }), registered());

  it('lets a pipeline through when every command has a pool', () => {
    expect(() => catalog.requireRunnable(parsePipeline('imageView2/2/w/10|imageInfo'))).not.toThrow();
  });

  // Qiniu's default key for a bucket-only saveas is the result's qetag; a set of objects (vsample,
  // HLS) names its members after the key, so it needs one.
  it('takes a bucket-only saveas, but not for a command writing a set of objects', () => {
    const avFile = join(dir, 'av-pools.json');
    writeFileSync(avFile, JSON.stringify({ pools: { av: { commands: ['vsample', 'imageView2'] } } }));
    const av = new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: avFile }), registered());
    const bucketOnly = Buffer.from('out').toString('base64url');
    expect(av.parseFop(`imageView2/2/w/10|saveas/${bucketOnly}`).saveas).toEqual({ bucket: 'out' });
    const error = (() => {
      try {
        av.parseFop(`vsample/jpg/t/2|saveas/${bucketOnly}`);
      } catch (thrown) {
        return thrown as FopSyntaxError;
      }
      throw new Error('a set of objects was given a bucket-only target');
    })();
    expect(error).toBeInstanceOf(FopSyntaxError);
    expect(error.message).toContain('vsample names the objects of its set after the key, so it needs <bucket>:<key>');
  });

  it('refuses a command no pool runs with a 400 naming it and its step', () => {
    const attempt = () => catalog.requireRunnable(parsePipeline('imageView2/2/w/10|avinfo'));
    expect(attempt).toThrow(FopSyntaxError);
    expect(attempt).toThrow("avinfo: no worker pool runs this command (step 2)");
  });

  it('refuses a pools file that names an unknown command or one command twice', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ pools: { a: { commands: ['nope'] } } }));
    expect(() => new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: join(dir, 'bad.json') }), registered())).toThrow(/unknown command 'nope'/);
    writeFileSync(join(dir, 'twice.json'), JSON.stringify({ pools: { a: { commands: ['exif'] }, b: { commands: ['exif'] } } }));
    expect(() => new PoolCatalog(loadConfig({ FOPFLOW_POOLS_FILE: join(dir, 'twice.json') }), registered())).toThrow(/'exif' is in pools 'a' and 'b'/);
  });

  describe('custom commands', () => {
    const secured = loadConfig({ FOPFLOW_POOLS_FILE: file, FOPFLOW_KEYS: 'AKone:SKone:paid,AKtwo:SKtwo:paid' });
    const custom = new PoolCatalog(
      secured,
      registered(
        record('my-sepia'),
        record('mine-only', { mode: 'private' }),
        record('unbuilt', { currentVersion: undefined }),
        record('stopped', { instances: 0 }),
      ),
    );
    const status = (attempt: () => unknown) => {
      try {
        attempt();
      } catch (error) {
        return [(error as { status?: number }).status, (error as Error).message];
      }
      return 'accepted';
    };

    it('takes a registered command as a step, its text passed on as written', () => {
      const { pipeline } = custom.parseFop('imageView2/2/w/800|my-sepia/level/3/', 'AKtwo');
      expect(pipeline.steps[1]).toEqual({ command: 'my-sepia', custom: true, args: { text: 'my-sepia/level/3' } });
      expect(pipeline.normalized).toBe('imageView2/2/w/800|my-sepia/level/3');
    });

    it('refuses a name nobody registered as an unknown command', () => {
      expect(status(() => custom.parseFop('nobody-here/level/3', 'AKone'))).toEqual([400, expect.stringContaining("unknown command 'nobody-here'")]);
    });

    it('runs a private command only for its owner', () => {
      expect(status(() => custom.parseFop('mine-only', 'AKone'))).toBe('accepted');
      expect(status(() => custom.parseFop('mine-only', 'AKtwo'))).toEqual([403, expect.stringContaining('private command of another account')]);
      expect(status(() => custom.parseFop('mine-only'))).toEqual([403, expect.any(String)]);
    });

    it('refuses a command with no built version, and one resized to 0, naming the fix', () => {
      expect(status(() => custom.parseFop('unbuilt', 'AKone'))).toEqual([400, expect.stringContaining('fopctl build unbuilt')]);
      expect(status(() => custom.parseFop('imageView2/2/w/9|stopped', 'AKone'))).toEqual([503, expect.stringContaining('fopctl resize stopped -n 1')]);
    });
  });
});

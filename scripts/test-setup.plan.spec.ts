// The decisions `npm test` takes before the suites run, asked about machines it never sees.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nextSetupStep, missingPackages, SYSTEM_TOOLS } = require('./test-setup.plan.cjs');

/** A machine with everything in place: nothing left to do. */
const ready = () => ({
  unitOnly: false,
  ci: false,
  dependenciesCurrent: true,
  dependenciesShared: false,
  hasLockfile: true,
  commands: SYSTEM_TOOLS.map((tool: { command: string }) => tool.command),
  isRoot: false,
  canSudo: false,
  hasApt: true,
  dockerAnswers: true,
  swarmState: 'active',
  leftovers: 0,
  images: ['fopflow/debian:bookworm', 'fopflow/node:20', 'fopflow/ffmpeg:latest'],
  nodeMajor: '20',
  registryAddr: '127.0.0.1:5000',
  registryStatus: 200,
});

/** Runs the plan as scripts/test.mjs does, each step fixing what it is for, and lists the steps. */
function stepsFrom(facts: ReturnType<typeof ready>): string[] {
  const fixes: Record<string, (f: ReturnType<typeof ready>) => void> = {
    'npm-ci': (f) => (f.dependenciesCurrent = true),
    'apt-install': (f) => (f.commands = ready().commands),
    'start-dockerd': (f) => {
      f.dockerAnswers = true;
      f.swarmState = 'inactive';
    },
    'swarm-init': (f) => (f.swarmState = 'active'),
    'remove-leftovers': (f) => (f.leftovers = 0),
    'build-base-images': (f) => (f.images = ready().images),
    'start-registry': (f) => (f.registryStatus = 200),
  };
  const steps: string[] = [];
  for (let step = nextSetupStep(facts); step; step = nextSetupStep(facts)) {
    steps.push(step.action);
    if (!fixes[step.action]) break;
    fixes[step.action](facts);
  }
  return steps;
}

describe('nextSetupStep', () => {
  it('does nothing on a machine that has everything', () => {
    expect(nextSetupStep(ready())).toBeNull();
  });

  it('sets up all of it, in order, on a fresh Debian machine as root under CI', () => {
    const fresh = {
      ...ready(),
      ci: true,
      isRoot: true,
      dependenciesCurrent: false,
      commands: ['apt-get'],
      dockerAnswers: false,
      swarmState: undefined as unknown as string,
      images: [],
      registryStatus: 0,
    };
    expect(stepsFrom(fresh)).toEqual(['npm-ci', 'apt-install', 'start-dockerd', 'swarm-init', 'build-base-images', 'start-registry']);
  });

  it('installs exactly the missing packages, with sudo when not root but allowed', () => {
    const step = nextSetupStep({ ...ready(), commands: ['docker', 'dockerd', 'ffmpeg', 'debootstrap'], canSudo: true });
    expect(step).toMatchObject({ action: 'apt-install', packages: ['redis-server', 'ffmpeg', 'docker-registry', 'chromium', 'iproute2', 'iptables', 'build-essential'], sudo: true });
    expect(missingPackages(['ffmpeg', 'ffprobe'])).toEqual(['redis-server', 'docker.io', 'debootstrap', 'docker-registry', 'chromium', 'iproute2', 'iptables', 'build-essential']);
  });

  it('prints the one apt command when it may not install', () => {
    const step = nextSetupStep({ ...ready(), commands: ready().commands.filter((c: string) => c !== 'redis-server') });
    expect(step).toEqual({
      action: 'fail',
      why: 'missing redis-server',
      advice: 'sudo apt-get update && sudo apt-get install -y redis-server   # then npm test again',
    });
  });

  it('names the packages for a machine without apt', () => {
    const step = nextSetupStep({ ...ready(), hasApt: false, commands: [] });
    expect(step.action).toBe('fail');
    expect(step.advice).toContain('redis-server ffmpeg docker.io debootstrap docker-registry');
  });

  it('starts dockerd only as root, and otherwise says how', () => {
    expect(nextSetupStep({ ...ready(), isRoot: true, dockerAnswers: false }).action).toBe('start-dockerd');
    const step = nextSetupStep({ ...ready(), dockerAnswers: false, canSudo: true });
    expect(step).toMatchObject({ action: 'fail', why: 'the Docker engine does not answer' });
    expect(step.advice).toContain('sudo systemctl start docker');
  });

  it('removes leftover Fopflow services under CI only: a shared engine keeps others\' runs', () => {
    expect(nextSetupStep({ ...ready(), ci: true, leftovers: 3 }).action).toBe('remove-leftovers');
    expect(nextSetupStep({ ...ready(), ci: false, leftovers: 3 })).toBeNull();
  });

  it('builds the base images when the one for this Node major is missing', () => {
    const step = nextSetupStep({ ...ready(), nodeMajor: '22' });
    expect(step).toMatchObject({ action: 'build-base-images', why: 'missing base images fopflow/node:22' });
  });

  it('starts the registry when nothing answers, or something other than a registry does', () => {
    expect(nextSetupStep({ ...ready(), registryStatus: 0 }).action).toBe('start-registry');
    expect(nextSetupStep({ ...ready(), registryStatus: 404 }).action).toBe('start-registry');
  });

  it('never reinstalls through a symlinked node_modules: it is another checkout\'s', () => {
    expect(nextSetupStep({ ...ready(), dependenciesCurrent: false, dependenciesShared: true })).toBeNull();
  });

  it('for the unit specs wants only the npm dependencies', () => {
    const bare = { ...ready(), unitOnly: true, commands: [], dockerAnswers: false, registryStatus: 0 };
    expect(nextSetupStep(bare)).toBeNull();
    expect(nextSetupStep({ ...bare, dependenciesCurrent: false, hasLockfile: false }).action).toBe('npm-install');
  });
});

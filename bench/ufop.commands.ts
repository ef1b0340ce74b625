import { gzipSync } from 'node:zlib';
import { packDirectory, writeTar } from '@fopflow/ufop';
import { BUILD_POLL_MS, BUILD_TIMEOUT_MS, INSTANCE_POLL_MS } from './ufop.plan';
import type { SignedClient } from './support/signed-client';

/** An instance of the command, as `GET /v1/ufops/<name>` lists it. */
export interface LiveInstance {
  id: string;
  state: 'starting' | 'warming' | 'ready' | 'draining';
  /** The worker's process id (the process runtime's instances run on this host). */
  pid: number;
  /** When the worker process recorded its start, ms since the epoch. */
  startedAt: number;
}

/** One look at the command's instances, and when the answer came, ms since the epoch. */
export interface InstancesLook {
  at: number;
  live: LiveInstance[];
}

interface VersionView {
  version: string;
  state: string;
  image?: string;
  error?: string;
}

/**
 * One custom command driven through the gateway's `/v1/ufops` API, signed by its owner: the calls
 * `fopctl reg`, `build`, `resize` and `info` make.
 */
export class UfopCommandApi {
  constructor(
    private readonly client: SignedClient,
    readonly name: string,
  ) {}

  async register(flavor: string, description: string): Promise<void> {
    await this.client.call('POST', '/v1/ufops', { name: this.name, mode: 2, flavor, description });
  }

  /** Uploads `dir` packed as fopctl packs it and waits until the version is built and pushed; answers its image. */
  async build(dir: string): Promise<string> {
    const { version } = await this.client.call<{ version: string }>('POST', `/v1/ufops/${this.name}/builds`, gzipSync(writeTar(await packDirectory(dir))), 'application/gzip');
    const deadline = Date.now() + BUILD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const { items } = await this.client.call<{ items: VersionView[] }>('GET', `/v1/ufops/${this.name}/versions`);
      const built = items.find((item) => item.version === version);
      if (built?.state === 'ready' && built.image) return built.image;
      if (built?.state === 'failed') {
        const { lines } = await this.client.call<{ lines: string[] }>('GET', `/v1/ufops/${this.name}/versions/${version}/log`);
        throw new Error(`${this.name} version ${version} failed to build: ${built.error ?? ''}\n${lines.slice(-20).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, BUILD_POLL_MS));
    }
    throw new Error(`${this.name} version ${version} was not built within ${BUILD_TIMEOUT_MS} ms`);
  }

  /** `fopctl resize -n <instances>`: pins the instance count. */
  async resize(instances: number): Promise<void> {
    await this.client.call('POST', `/v1/ufops/${this.name}/resize`, { instances });
  }

  async instances(): Promise<InstancesLook> {
    const { live } = await this.client.call<{ live: LiveInstance[] }>('GET', `/v1/ufops/${this.name}`);
    return { at: Date.now(), live };
  }

  /** Reads the instances every INSTANCE_POLL_MS until `test` holds; answers that look. */
  async until(what: string, test: (live: LiveInstance[]) => boolean, timeoutMs: number): Promise<InstancesLook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const look = await this.instances();
      if (test(look.live)) return look;
      if (look.at > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, INSTANCE_POLL_MS));
    }
  }
}

/** The ready instances of a look. */
export function readyOf(live: readonly LiveInstance[]): LiveInstance[] {
  return live.filter((instance) => instance.state === 'ready');
}


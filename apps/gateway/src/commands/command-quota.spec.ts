import type { CommandRecord } from '@fopflow/ufop';
import { askedInstances, checkCommandCount, checkInstanceRequest, CommandQuota } from './command-quota';

const QUOTA: CommandQuota = { maxCommandsPerAccount: 2, maxInstancesPerAccount: 4, maxCustomInstances: 10 };

const command = (name: string, owner: string, maxInstances: number, extra: Partial<CommandRecord> = {}): CommandRecord => ({
  name,
  kind: 'ufop',
  owner,
  mode: 'private',
  flavor: 'C1M1',
  description: '',
  createdAt: 0,
  versions: [],
  maxInstances,
  timeoutMs: 1000,
  ...extra,
});

describe('command quota', () => {
  it('counts a pinned size, else the autoscaling ceiling; remote services count none', () => {
    expect(askedInstances(command('a', 'k', 4))).toBe(4);
    expect(askedInstances(command('a', 'k', 4, { instances: 0 }))).toBe(0);
    expect(askedInstances(command('a', 'k', 4, { kind: 'remote' }))).toBe(0);
  });

  it('refuses a key its command past the count, never the operator', () => {
    const records = [command('a', 'k1', 1), command('b', 'k1', 1), command('c', 'k2', 1)];
    expect(() => checkCommandCount(records, 'k1', QUOTA)).toThrow("access key 'k1' has 2 custom commands, at FOPFLOW_MAX_COMMANDS_PER_ACCOUNT 2");
    expect(() => checkCommandCount(records, 'k2', QUOTA)).not.toThrow();
    expect(() => checkCommandCount(records, undefined, QUOTA)).not.toThrow();
  });

  it("counts a resized command's new ask in place of its old one", () => {
    const records = [command('a', 'k1', 2), command('b', 'k1', 2)];
    expect(() => checkInstanceRequest(records, { name: 'a', account: 'k1', instances: 2 }, QUOTA)).not.toThrow();
    expect(() => checkInstanceRequest(records, { name: 'a', account: 'k1', instances: 3 }, QUOTA)).toThrow(
      "access key 'k1' would ask for 5 instances over its commands, over FOPFLOW_MAX_INSTANCES_PER_ACCOUNT 4",
    );
  });

  it('holds everyone, the operator too, to the global cap; shrinking always passes', () => {
    const records = [command('a', 'k1', 4), command('b', 'k2', 4), command('op', 'operator', 1)];
    expect(() => checkInstanceRequest(records, { name: 'op', instances: 2 }, QUOTA)).not.toThrow();
    expect(() => checkInstanceRequest(records, { name: 'op', instances: 3 }, QUOTA)).toThrow(
      'custom commands would ask for 11 instances in all, over FOPFLOW_MAX_CUSTOM_INSTANCES 10',
    );
    expect(() => checkInstanceRequest(records, { name: 'a', account: 'k1', instances: 4 }, { ...QUOTA, maxCustomInstances: 1 })).not.toThrow();
  });
});

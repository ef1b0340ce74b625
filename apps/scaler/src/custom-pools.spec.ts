import { UFOP_SANDBOX_LABEL } from '@fopflow/ufop';
import { ORPHAN_AFTER_MS, orphanedSandboxes } from './custom-pools';

const NOW = 1_800_000_000_000;

/** A sandbox container as the engine lists it: `ageMs` old, of `instance` running `command`. */
const sandbox = (instance: string, command: string, ageMs: number, role = 'handler') => ({
  Labels: { [UFOP_SANDBOX_LABEL.instance]: instance, [UFOP_SANDBOX_LABEL.name]: command, [UFOP_SANDBOX_LABEL.role]: role },
  Created: Math.floor((NOW - ageMs) / 1000),
});

describe('orphanedSandboxes', () => {
  const old = ORPHAN_AFTER_MS + 60_000;
  const commands = new Set(['my-sepia', 'shout']);

  it('chooses the old sandboxes of instances that are gone, once per instance', () => {
    const containers = [
      sandbox('gone-1', 'my-sepia', old, 'port'),
      sandbox('gone-1', 'my-sepia', old),
      sandbox('gone-2', 'shout', old),
      sandbox('alive', 'my-sepia', old),
    ];
    expect([...orphanedSandboxes(containers, { live: new Set(['alive']), commands, now: NOW })].sort()).toEqual(['gone-1', 'gone-2']);
  });

  it('leaves young sandboxes alone: their worker may not have reported yet', () => {
    const containers = [sandbox('starting', 'my-sepia', ORPHAN_AFTER_MS - 1000), sandbox('gone', 'my-sepia', old)];
    expect([...orphanedSandboxes(containers, { live: new Set(), commands, now: NOW })]).toEqual(['gone']);
  });

  it("leaves another platform's commands and unlabelled containers alone", () => {
    const containers = [sandbox('theirs', 'not-ours', old), { Labels: {}, Created: 0 }];
    expect(orphanedSandboxes(containers, { live: new Set(), commands, now: NOW }).size).toBe(0);
  });
});

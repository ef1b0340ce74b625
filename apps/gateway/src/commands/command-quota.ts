import type { CommandRecord } from '@fopflow/ufop';
import { GatewayError } from '../http/error.filter';

/** How much of the platform custom commands may claim. */
export interface CommandQuota {
  /** Most commands one access key may register (FOPFLOW_MAX_COMMANDS_PER_ACCOUNT). */
  maxCommandsPerAccount: number;
  /** Most instances one access key may ask for over all its commands (FOPFLOW_MAX_INSTANCES_PER_ACCOUNT). */
  maxInstancesPerAccount: number;
  /** Most instances all custom commands together may ask for, the operator's included (FOPFLOW_MAX_CUSTOM_INSTANCES). */
  maxCustomInstances: number;
}

/** A change of what commands ask for: `name` comes to ask for `instances` (a new command, or a resize). */
export interface InstanceRequest {
  name: string;
  /** Access key of the asking account; undefined for the operator, who has no per-account caps. */
  account?: string;
  instances: number;
}

/** Instances a command may come to run: its pinned count, else the autoscaler's ceiling. Remote services run none of ours. */
export function askedInstances(record: Pick<CommandRecord, 'kind' | 'instances' | 'maxInstances'>): number {
  if (record.kind !== 'ufop') return 0;
  return record.instances ?? record.maxInstances;
}

/** Refuses (403 naming the cap) a registration past the account's command count. */
export function checkCommandCount(records: readonly CommandRecord[], account: string | undefined, quota: CommandQuota): void {
  if (account === undefined) return;
  const owned = records.filter((record) => record.owner === account).length;
  if (owned >= quota.maxCommandsPerAccount) {
    throw new GatewayError(403, `access key '${account}' has ${owned} custom commands, at FOPFLOW_MAX_COMMANDS_PER_ACCOUNT ${quota.maxCommandsPerAccount}`);
  }
}

/**
 * Refuses (403 naming the cap) a request that would take the account's instances past
 * maxInstancesPerAccount, or all custom instances past maxCustomInstances. `records` are every
 * registered command; the request's own command counts with its new ask instead of its old one.
 */
export function checkInstanceRequest(records: readonly CommandRecord[], request: InstanceRequest, quota: CommandQuota): void {
  const current = records.find((record) => record.name === request.name);
  // Shrinking is never refused, even where a cap was lowered below what is asked already.
  if (current && request.instances <= askedInstances(current)) return;
  const others = records.filter((record) => record.name !== request.name);
  if (request.account !== undefined) {
    const account = others.filter((record) => record.owner === request.account).reduce((sum, record) => sum + askedInstances(record), 0) + request.instances;
    if (account > quota.maxInstancesPerAccount) {
      throw new GatewayError(
        403,
        `access key '${request.account}' would ask for ${account} instances over its commands, over FOPFLOW_MAX_INSTANCES_PER_ACCOUNT ${quota.maxInstancesPerAccount}`,
      );
    }
  }
  const platform = others.reduce((sum, record) => sum + askedInstances(record), 0) + request.instances;
  if (platform > quota.maxCustomInstances) {
    throw new GatewayError(403, `custom commands would ask for ${platform} instances in all, over FOPFLOW_MAX_CUSTOM_INSTANCES ${quota.maxCustomInstances}`);
  }
}

/** One access key pair and what it may do. */
export interface AccessKey {
  accessKey: string;
  secretKey: string;
  /** Tier its work runs in (`paid`, `free`, …). */
  tier: string;
}

/** Thrown for a malformed key list; names the entry. */
export class AccessKeyConfigError extends Error {
  override readonly name = 'AccessKeyConfigError';
}

const KEY_PATTERN = /^[A-Za-z0-9_-]{4,128}$/;

/** Parses `ak:sk:tier[,ak:sk:tier...]` (FOPFLOW_KEYS) into key pairs, checking each entry. */
export function parseAccessKeys(text: string, tiers: readonly string[]): AccessKey[] {
  const keys: AccessKey[] = [];
  for (const [index, entry] of text.split(',').map((part) => part.trim()).filter(Boolean).entries()) {
    const [accessKey, secretKey, tier, ...rest] = entry.split(':');
    const where = `FOPFLOW_KEYS entry ${index + 1}`;
    if (rest.length || !accessKey || !secretKey || !tier) throw new AccessKeyConfigError(`${where}: expected ak:sk:tier`);
    if (!KEY_PATTERN.test(accessKey) || !KEY_PATTERN.test(secretKey)) {
      throw new AccessKeyConfigError(`${where}: keys are 4-128 characters of A-Z a-z 0-9 _ -`);
    }
    if (!tiers.includes(tier)) throw new AccessKeyConfigError(`${where}: tier '${tier}' is not one of ${tiers.join(', ')}`);
    if (keys.some((key) => key.accessKey === accessKey)) throw new AccessKeyConfigError(`${where}: access key '${accessKey}' appears twice`);
    keys.push({ accessKey, secretKey, tier });
  }
  return keys;
}

/** Key pairs by access key. */
export class AccessKeyStore {
  private readonly byAccessKey: Map<string, AccessKey>;

  constructor(keys: readonly AccessKey[]) {
    this.byAccessKey = new Map(keys.map((key) => [key.accessKey, key]));
  }

  /** The key pair of `accessKey`, if configured. */
  find(accessKey: string): AccessKey | undefined {
    return this.byAccessKey.get(accessKey);
  }

  get size(): number {
    return this.byAccessKey.size;
  }
}

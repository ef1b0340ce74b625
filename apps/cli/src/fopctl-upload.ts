import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AccessKey, qiniuSign, urlsafeBase64 } from '@fopflow/auth';
import { Command, InvalidArgumentError } from 'commander';
import { wholeNumber } from './fopctl';

/** Lifetime of a token fopctl makes when the policy names no deadline, in seconds (as Qiniu's SDKs). */
export const DEFAULT_UPLOAD_TOKEN_TTL_S = 3600;

/** `<AK>:<sign>:<encoded policy>` for `policy`, with a deadline `ttlS` from now when it has none. */
export function makeUploadToken(key: Pick<AccessKey, 'accessKey' | 'secretKey'>, policy: Record<string, unknown>, ttlS = DEFAULT_UPLOAD_TOKEN_TTL_S): string {
  const withDeadline = { ...policy, deadline: policy.deadline ?? Math.floor(Date.now() / 1000) + ttlS };
  const encoded = urlsafeBase64(JSON.stringify(withDeadline));
  return `${key.accessKey}:${qiniuSign(key.secretKey, encoded)}:${encoded}`;
}

async function readPolicy(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(`${path}: not a readable JSON put policy (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${path}: a put policy is a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * `fopctl token <policy.json>` prints an upload token of FOPFLOW_ACCESS_KEY for a put policy;
 * `fopctl upload <file> <bucket>[:<key>]` form-uploads a file with one, as an app's users would.
 */
export function addUploadCommands(
  program: Command,
  options: { url: string; key?: Pick<AccessKey, 'accessKey' | 'secretKey'>; print: (text: string) => void; fetch?: typeof fetch },
): void {
  const signingKey = () => {
    if (!options.key) throw new InvalidArgumentError('upload tokens are signed by an access key: set FOPFLOW_ACCESS_KEY and FOPFLOW_SECRET_KEY');
    return options.key;
  };

  program
    .command('token <policy>')
    .description('print an upload token for a put policy file (JSON: scope, returnBody, persistentOps, …)')
    .option('-e, --expires <seconds>', 'lifetime when the policy has no deadline', wholeNumber, DEFAULT_UPLOAD_TOKEN_TTL_S)
    .action(async (path: string, { expires }: { expires: number }) => {
      options.print(makeUploadToken(signingKey(), await readPolicy(path), expires));
    });

  program
    .command('upload <file> <target>')
    .description('form-upload a file to <bucket>[:<key>] (key defaults to the file name) with an upload token')
    .option('-p, --policy <file>', 'put policy to add to the scope (returnBody, persistentOps, …)')
    .action(async (file: string, target: string, { policy }: { policy?: string }) => {
      const colon = target.indexOf(':');
      const bucket = colon < 0 ? target : target.slice(0, colon);
      const key = colon < 0 ? basename(file) : target.slice(colon + 1);
      const token = makeUploadToken(signingKey(), { ...(policy ? await readPolicy(policy) : {}), scope: `${bucket}:${key}` });
      const form = new FormData();
      form.set('token', token);
      form.set('key', key);
      form.set('file', new Blob([await readFile(file)]), basename(file));
      const answer = await (options.fetch ?? fetch)(`${options.url}/`, { method: 'POST', body: form }).catch((error: Error & { cause?: Error }) => {
        throw new Error(`cannot reach ${options.url} (${error.cause?.message ?? error.message}); set FOPFLOW_URL`);
      });
      const text = await answer.text();
      if (!answer.ok) throw new Error(`upload of ${file}: ${answer.status} ${text}`);
      options.print(text);
    });
}

import { Command, InvalidArgumentError } from 'commander';
import type { GatewayCall } from './fopctl';
import { table } from './fopctl';

interface StyleList {
  items: Array<{ name: string; fops: string }>;
  separator: string;
  protected: boolean;
}

const stylesPath = (bucket: string) => `/v1/buckets/${encodeURIComponent(bucket)}/styles`;

/**
 * `fopctl style set|list|rm`: a bucket's image styles, as Qiniu's `qrsctl style` and its
 * console keep them, plus the bucket's separators and original-image protection.
 */
export function addStyleCommands(program: Command, call: GatewayCall, print: (text: string) => void): void {
  const style = program.command('style').description("a bucket's image styles: named fops served as /<bucket>/<key><separator><name>");

  style
    .command('set <bucket> <name> <fops>')
    .description("add or replace a style, e.g. fopctl style set photos thumb 'imageView2/2/w/320'")
    .action(async (bucket: string, name: string, fops: string) => {
      const set = (await call('PUT', `${stylesPath(bucket)}/${encodeURIComponent(name)}`, { fops })) as { name: string; fops: string };
      print(`${bucket}: style ${set.name} = ${set.fops}`);
    });

  style
    .command('list <bucket>')
    .description('the styles of a bucket, with its separators and protection')
    .action(async (bucket: string) => {
      const listed = (await call('GET', stylesPath(bucket))) as StyleList;
      print(`${bucket}: separators '${listed.separator}', original images ${listed.protected ? 'protected' : 'open'}`);
      print(table(['NAME', 'FOPS'], listed.items.map((item) => [item.name, item.fops])));
    });

  style
    .command('rm <bucket> <name>')
    .description('remove a style')
    .action(async (bucket: string, name: string) => {
      await call('DELETE', `${stylesPath(bucket)}/${encodeURIComponent(name)}`);
      print(`${bucket}: style ${name} removed`);
    });

  style
    .command('separator <bucket> <chars>')
    .description("the characters that join key and style name, any of '-_!/@' (default '-'); put -- before a set starting with '-'")
    .action(async (bucket: string, chars: string) => {
      await call('PUT', `/v1/buckets/${encodeURIComponent(bucket)}`, { separator: chars });
      print(`${bucket}: separators '${chars}'`);
    });

  style
    .command('protect <bucket> <on|off>')
    .description('original-image protection: images only through a style or a URL signed by the owner')
    .action(async (bucket: string, state: string) => {
      if (state !== 'on' && state !== 'off') throw new InvalidArgumentError('protect takes on or off');
      await call('PUT', `/v1/buckets/${encodeURIComponent(bucket)}`, { protected: state === 'on' });
      print(`${bucket}: original images ${state === 'on' ? 'protected' : 'open'}`);
    });
}

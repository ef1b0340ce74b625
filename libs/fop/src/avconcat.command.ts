import { type AvContainer, avContainers } from './av.formats';
import type { CommandSpec } from './command-spec';
import type { ObjectRef } from './encoded.params';
import { formatEncodedObjectRef, parseEncodedObjectRef } from './object-ref.params';
import { type StepAt, parseChoice, parseInteger, quoteToken, stepError } from './params';

/** Most sources an avconcat may append to its input (Qiniu: 20). */
export const avconcatMaxExtraSources = 20;

/** Parsed `avconcat/<mode>/format/<fmt>/<url>...`: the step's input followed by every source, in order. */
export interface AvconcatArgs {
  /**
   * Qiniu's mode: 2 re-encodes every source to the first one's size, rate and codecs; 1 joins
   * the streams as they are (no re-encoding), which needs sources of the same codecs and size.
   */
  mode: 1 | 2;
  format: AvContainer;
  /** Objects appended after the input, 1 to 20, in the order written. */
  sources: ObjectRef[];
}

function parseAvconcat(tokens: string[], stepIndex: number): AvconcatArgs {
  const at: StepAt = { command: 'avconcat', stepIndex };
  if (tokens.length === 0) throw stepError(at, 'mode (1 or 2) is required as the first value');
  const mode = parseInteger(at, 'mode', tokens[0], 1, 2) as 1 | 2;
  // The order is fixed (`format` then the URLs), as Qiniu documents it: URLs carry no names.
  if (tokens[1] !== 'format') {
    const got = tokens[1] === undefined ? 'nothing' : quoteToken(tokens[1]);
    throw stepError(at, `parameter 'format' must follow the mode, got ${got}`, tokens[1]);
  }
  if (tokens.length < 3) throw stepError(at, `parameter 'format' has no value`, 'format');
  const format = parseChoice(at, `parameter 'format'`, tokens[2], avContainers);
  const urls = tokens.slice(3);
  if (urls.length === 0) throw stepError(at, 'at least one source URL (URL-safe base64) must follow the format');
  if (urls.length > avconcatMaxExtraSources) {
    throw stepError(at, `at most ${avconcatMaxExtraSources} source URLs may follow the format, got ${urls.length}`);
  }
  const sources = urls.map((url, i) => parseEncodedObjectRef(at, `source ${i + 1}`, url));
  return { mode, format, sources };
}

function formatAvconcat(args: AvconcatArgs): string {
  return ['avconcat', args.mode, 'format', args.format, ...args.sources.map(formatEncodedObjectRef)].join('/');
}

/** `avconcat`: the input followed by up to 20 of our objects, joined into one file. Async only. */
export const avconcatCommand: CommandSpec<AvconcatArgs> = {
  name: 'avconcat',
  family: 'av',
  output: 'media',
  summary: 'Join the input and up to 20 other audio/video objects end to end, re-encoded (mode 2) or as they are (mode 1); async jobs only.',
  // Joining many whole files outlasts any sync wait; Qiniu offers it through pfop only.
  syncAllowed: false,
  parse: parseAvconcat,
  format: formatAvconcat,
  references: (args) => args.sources,
};

import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { expectNoTokens } from './params';

/** avinfo takes no parameters. */
export interface AvinfoArgs {}

/** `avinfo`: ffprobe-style `{"streams":[...],"format":{...}}` of an audio/video source, as JSON. */
export const avinfoCommand: CommandSpec<AvinfoArgs> = {
  name: 'avinfo',
  family: 'av',
  output: 'json',
  summary: 'Streams and container of an audio/video source, ffprobe-style, as JSON.',
  parse(tokens, stepIndex) {
    expectNoTokens({ command: 'avinfo', stepIndex }, tokens);
    return {};
  },
  format: () => 'avinfo',
  references: readsOnlyItsInput,
};

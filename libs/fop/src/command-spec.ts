import type { CommandName } from './catalogue';
import type { ObjectRef } from './encoded.params';
import type { OwnHostRule } from './mark-source.params';

/** What a command's parse may need to know about the platform it parses for. */
export interface ParseContext {
  /** Which URL hosts are the platform's own, so a mark URL on one names a stored object. */
  isOwnHost: OwnHostRule;
}

/** Which engine runs a command: images go to sharp, audio/video to ffmpeg. */
export type CommandFamily = 'image' | 'av';

/** What a step produces: media bytes of a format, or JSON. */
export type StepOutput = 'media' | 'json';

/** One command of the catalogue: a plain data object, so adding a command is adding one file. */
export interface CommandSpec<Args = unknown> {
  /** Name as written in the fop, case-sensitive as in Qiniu. */
  name: CommandName;
  family: CommandFamily;
  output: StepOutput;
  /** One line for humans (help pages, error hints). */
  summary: string;
  /** False for commands only async jobs (pfop) may run, like avconcat; absent means true. */
  syncAllowed?: boolean;
  /**
   * Validates the step's tokens (split on '/', without the command name); throws FopSyntaxError.
   * Without a context every mark URL names a stored object (the grammar alone knows no hosts).
   */
  parse(tokens: string[], stepIndex: number, context?: ParseContext): Args;
  /** Canonical text of the step including the command name: same meaning ⇒ same string. */
  format(args: Args): string;
  /**
   * Every stored object the step reads besides its input (watermark images, concat inputs).
   * Gateway and worker check each against the caller before anything runs, so a command that
   * reads an object must name it here.
   */
  references(args: Args): ObjectRef[];
  /**
   * Every outside URL the step fetches (a watermark image on another site), through the outbound
   * guard: the gateway refuses one it can tell is blocked, the worker checks each address and
   * redirect when it fetches. Absent means none.
   */
  fetches?(args: Args): string[];
  /**
   * True when the step writes a set of objects (an HLS playlist and its segments, a series of
   * snapshots) instead of one result. Such a step runs only in async jobs, as a pipeline's last
   * step; its members' keys follow object-set.keys.ts. Absent means false.
   */
  writesObjectSet?(args: Args): boolean;
}

/** `references` of a command that reads nothing but its input. */
export const readsOnlyItsInput = (): ObjectRef[] => [];

import type { CommandSpec } from './command-spec';
import { imageInfoCommand, type ImageInfoArgs } from './image-info.command';
import { imageView2Command, type ImageView2Args } from './image-view2.command';
import { imageMogr2Command, type ImageMogr2Args } from './image-mogr2.command';
import { watermarkCommand, type WatermarkArgs } from './watermark.command';
import { exifCommand, type ExifArgs } from './exif.command';
import { imageAveCommand, type ImageAveArgs } from './image-ave.command';
import { avthumbCommand, type AvthumbArgs } from './avthumb.command';
import { vframeCommand, type VframeArgs } from './vframe.command';
import { avinfoCommand, type AvinfoArgs } from './avinfo.command';
import { avconcatCommand, type AvconcatArgs } from './avconcat.command';
import { vsampleCommand, type VsampleArgs } from './vsample.command';
import { adaptCommand, type AdaptArgs } from './adapt.command';
import { imageslimCommand, type ImageslimArgs } from './imageslim.command';
import { qrcodeCommand, type QrcodeArgs } from './qrcode.command';

// Adding a command: write `<name>.command.ts`, then add one member to FopStep and one entry
// to `catalogue` below; the `satisfies` check fails until both agree.

/** One parsed step of a pipeline: the command name and its validated arguments. */
export type FopStep =
  | { command: 'imageView2'; args: ImageView2Args }
  | { command: 'imageInfo'; args: ImageInfoArgs }
  | { command: 'imageMogr2'; args: ImageMogr2Args }
  | { command: 'watermark'; args: WatermarkArgs }
  | { command: 'exif'; args: ExifArgs }
  | { command: 'imageAve'; args: ImageAveArgs }
  | { command: 'imageslim'; args: ImageslimArgs }
  | { command: 'qrcode'; args: QrcodeArgs }
  | { command: 'avthumb'; args: AvthumbArgs }
  | { command: 'vframe'; args: VframeArgs }
  | { command: 'avinfo'; args: AvinfoArgs }
  | { command: 'avconcat'; args: AvconcatArgs }
  | { command: 'vsample'; args: VsampleArgs }
  | { command: 'adapt'; args: AdaptArgs };

/** Every command name the catalogue knows. */
export type CommandName = FopStep['command'];

type ArgsOf<N extends CommandName> = Extract<FopStep, { command: N }>['args'];

const catalogue = {
  imageView2: imageView2Command,
  imageInfo: imageInfoCommand,
  imageMogr2: imageMogr2Command,
  watermark: watermarkCommand,
  exif: exifCommand,
  imageAve: imageAveCommand,
  imageslim: imageslimCommand,
  qrcode: qrcodeCommand,
  avthumb: avthumbCommand,
  vframe: vframeCommand,
  avinfo: avinfoCommand,
  avconcat: avconcatCommand,
  vsample: vsampleCommand,
  adapt: adaptCommand,
} satisfies { [N in CommandName]: CommandSpec<ArgsOf<N>> };

/** Command catalogue: one small data object per command, keyed by its case-sensitive name. */
export const commands: Record<CommandName, CommandSpec<any>> = Object.freeze(catalogue);

/** True when `name` is a known command; own keys only, so `constructor` or `__proto__` never match. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

/** Every known command name, in catalogue order. */
export function commandNames(): CommandName[] {
  return Object.keys(commands) as CommandName[];
}

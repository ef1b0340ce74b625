export { FopSyntaxError } from './errors';
export type { CommandFamily, CommandSpec, ParseContext, StepOutput } from './command-spec';
export type { ImageFormat, ImageView2Args } from './image-view2.command';
export { imageView2DefaultQuality } from './image-view2.command';
export type { ImageInfoArgs } from './image-info.command';
export type { ImageMogr2Args, SizeLimit } from './image-mogr2.command';
export { imageMogr2DefaultBackground, imageMogr2DefaultQuality } from './image-mogr2.command';
export type { CropGeometry, ThumbnailGeometry } from './image-mogr2.geometry';
export type { ImageMark, MarkPlacement, TextMark, WatermarkArgs, WatermarkMark } from './watermark.command';
export { watermarkDefaults } from './watermark.command';
export type { ExifArgs } from './exif.command';
export type { ImageAveArgs } from './image-ave.command';
export type { ImageslimArgs } from './imageslim.command';
export { imageslimDefaultZlevel } from './imageslim.command';
export type { QrcodeArgs, QrcodeLevel } from './qrcode.command';
export type { Colour } from './colour.params';
export type { Gravity } from './gravity.params';
export type { ObjectRef } from './encoded.params';
export type { MarkSource, OutsideUrl, OwnHostRule } from './mark-source.params';
export { isOutsideUrl, noHostIsOwn, ownHostOf } from './mark-source.params';
export type { AudioCodec, AvContainer, AvContainerRules, AvthumbFormat, VideoCodec } from './av.formats';
export {
  audioCodecs,
  avContainerRules,
  avContainers,
  avthumbFormatRules,
  avthumbFormats,
  avWatermarkDefaultFontColor,
  avWatermarkDefaultFontSizePx,
  avWatermarkDefaultGravity,
  encoderSampleRatesHz,
  isAudioOnly,
  sampleRatesHz,
  videoCodecs,
} from './av.formats';
export type { PixelSize } from './av.params';
export type { AvthumbArgs, AvthumbParam } from './avthumb.command';
export type { AvthumbVideoArgs, PadBox } from './avthumb.video.params';
export type { FrameFormat, VframeArgs } from './vframe.command';
export type { AvinfoArgs } from './avinfo.command';
export type { AvconcatArgs } from './avconcat.command';
export type { SampleFormat, VsampleArgs } from './vsample.command';
export type { AdaptArgs, AdaptRendition, RenditionProgress } from './adapt.command';
export { avconcatMaxExtraSources } from './avconcat.command';
export type { CommandName, FopStep } from './catalogue';
export { commandNames, commands, isCommandName } from './catalogue';
export type { FopPipeline, ParseOptions } from './pipeline';
export { defaultMaxFopChars, defaultMaxPipelineSteps, formatStep, parsePipeline } from './pipeline';
export type { CustomStep, PipelineStep } from './custom-step';
export { CUSTOM_COMMAND_NAME, isCustomCommandName, isCustomStep } from './custom-step';
export type { SaveasTarget, SplitFop } from './saveas';
export { describeSaveasTarget, splitSaveas } from './saveas';
export type { StepFetch, StepReference } from './object-references';
export { objectReferences, outsideFetches } from './object-references';
export type { HlsArgs } from './hls.params';
export { hlsDefaultSegmentSeconds } from './hls.params';
export { maxObjectSetMembers, objectSetCountVariable, objectSetMemberKey } from './object-set.keys';
export { isAsyncOnly, writesObjectSet } from './object-set.step';
export type { Pm3u8Args } from './pm3u8.params';
export { isPm3u8, parsePm3u8, pm3u8DefaultExpiresS } from './pm3u8.params';

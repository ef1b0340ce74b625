/** Bounds an image step must respect, each with its unit in the name. */
export interface ImageLimits {
  /** Largest source a step may decode, in pixels (width × height × frames), read from the header. Default 100,000,000. */
  maxInputPixels: number;
  /** Most frames (pages) a source may have, read from the header before decoding. Default 1000. */
  maxFrames: number;
  /** Longest side of a result frame, in pixels (Qiniu: 9999). */
  maxOutputSidePx: number;
  /** Largest result frame, in pixels (Qiniu: 25,000,000). */
  maxOutputPixels: number;
}

/** Qiniu's output bounds, a 100 MP decode guard and at most 1000 frames. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxInputPixels: 100_000_000,
  maxFrames: 1000,
  maxOutputSidePx: 9999,
  maxOutputPixels: 25_000_000,
};

/** Bounds an image step must respect, each with its unit in the name. */
export interface ImageLimits {
  /** Largest source a step may decode, in pixels (width × height × frames), read from the header. */
  maxInputPixels: number;
  /** Longest side of a result, in pixels (Qiniu: 9999). */
  maxOutputSidePx: number;
  /** Largest result, in pixels (Qiniu: 25,000,000). */
  maxOutputPixels: number;
}

/** Qiniu's output bounds and a 100 MP decode guard. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxInputPixels: 100_000_000,
  maxOutputSidePx: 9999,
  maxOutputPixels: 25_000_000,
};

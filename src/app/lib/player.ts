// How large a looping player is drawn: the on-screen size a person chose, reached by a whole
// number of screen pixels per model pixel so every model pixel stays an equal square.

/** The player sizes offered (CSS pixels of the video's longer side); the first is the default. */
export const PLAYER_SIZES = [256, 320, 384, 512] as const;

/** Screen pixels per model pixel: the largest whole number that keeps the longer side ≤ `size` (at least 1). */
export function pixelScale(size: number, shape: { height: number; width: number }): number {
  return Math.max(1, Math.floor(size / Math.max(shape.height, shape.width)));
}

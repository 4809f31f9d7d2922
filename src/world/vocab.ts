// The closed vocabulary of the world. Every other module (grammar, renderer, detectors, the
// model's tokenizer) derives its lists from these constants, so adding a word happens here once.

/** An sRGB colour with channels in [0, 1]. */
export type Rgb = readonly [number, number, number];

/**
 * Object colours: saturated and far apart in Lab (closest pairs: red/orange ~41, blue/purple ~45 in colour.ts's labDistance)
 * so that a blurred or slightly off-colour generated object still maps to the intended name.
 */
export const COLOURS = {
  red: [0.9, 0.1, 0.1],
  green: [0.1, 0.75, 0.2],
  blue: [0.1, 0.35, 1.0],
  yellow: [0.95, 0.9, 0.1],
  purple: [0.62, 0.1, 0.68],
  orange: [1.0, 0.55, 0.05],
} as const satisfies Record<string, Rgb>;

export const SHAPES = ['circle', 'square', 'triangle'] as const;

export const ACTIONS = [
  'moves left',
  'moves right',
  'moves up',
  'moves down',
  'bounces',
  'grows',
  'shrinks',
  'rotates',
] as const;

export const DIRECTIONAL_ACTIONS = ['moves left', 'moves right', 'moves up', 'moves down'] as const;

/**
 * Solid backgrounds. Brown is dark (luminance ~0.2) so that it stays distinct from orange and
 * red objects on it and from the gray background.
 */
export const BACKGROUNDS = {
  black: [0, 0, 0],
  gray: [0.5, 0.5, 0.5],
  white: [1, 1, 1],
  brown: [0.32, 0.18, 0.08],
} as const satisfies Record<string, Rgb>;

/** The background of a prompt that has no "on a … background" clause. */
export const DEFAULT_BACKGROUND: Background = 'black';

export const SIZES = ['small', 'big'] as const;
export const SPEEDS = ['slowly', 'quickly'] as const;

export type Colour = keyof typeof COLOURS;
export type Shape = (typeof SHAPES)[number];
export type Action = (typeof ACTIONS)[number];
export type Background = keyof typeof BACKGROUNDS;
export type Size = (typeof SIZES)[number];
export type Speed = (typeof SPEEDS)[number];

export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];
export const BACKGROUND_NAMES = Object.keys(BACKGROUNDS) as Background[];

// Colour science for the detectors: names are matched in CIE Lab, where equal distances look
// roughly equally different, instead of in RGB, where e.g. yellow/orange are close in distance
// but obviously different to a viewer while dark blues differ a lot in RGB and little to the eye.
import { COLOURS, COLOUR_NAMES, BACKGROUNDS, BACKGROUND_NAMES, type Colour, type Background, type Rgb } from './vocab';

export type Lab = readonly [number, number, number];

/** sRGB in [0,1] (D65) → CIE L*a*b*. Inputs outside [0,1] (noisy videos) are clamped first. */
export function rgbToLab(rgb: Rgb): Lab {
  const [r, g, b] = rgb.map((c) => srgbToLinear(Math.min(1, Math.max(0, c))));
  // sRGB → XYZ (D65), normalised by the white point.
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const fx = labF(x);
  const fy = labF(y);
  const fz = labF(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/**
 * Distance between two colours in Lab with lightness at half weight (CIE94-style emphasis on
 * hue/chroma): blur, shading and a model's brightness errors mostly move lightness, while a
 * wrong colour name is a change of hue.
 */
export function labDistance(a: Lab, b: Lab): number {
  const dl = 0.5 * (a[0] - b[0]);
  return Math.hypot(dl, a[1] - b[1], a[2] - b[2]);
}

/** Chroma (colourfulness) of a Lab colour: ~0 for grays, 50–100 for the palette. */
export function labChroma(lab: Lab): number {
  return Math.hypot(lab[1], lab[2]);
}

const COLOUR_LABS = COLOUR_NAMES.map((name) => [name, rgbToLab(COLOURS[name])] as const);
const BACKGROUND_LABS = BACKGROUND_NAMES.map((name) => [name, rgbToLab(BACKGROUNDS[name])] as const);

/** The palette colour nearest to `rgb`, and how far it is (labDistance units). */
export function nearestColour(rgb: Rgb): { name: Colour; distance: number } {
  return nearestIn(COLOUR_LABS, rgbToLab(rgb));
}

/** The background colour nearest to `rgb`, and how far it is (labDistance units). */
export function nearestBackground(rgb: Rgb): { name: Background; distance: number } {
  return nearestIn(BACKGROUND_LABS, rgbToLab(rgb));
}

function nearestIn<N extends string>(table: readonly (readonly [N, Lab])[], lab: Lab): { name: N; distance: number } {
  let best = table[0];
  let bestDistance = Infinity;
  for (const entry of table) {
    const d = labDistance(lab, entry[1]);
    if (d < bestDistance) {
      bestDistance = d;
      best = entry;
    }
  }
  return { name: best[0], distance: bestDistance };
}

function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  const delta = 6 / 29;
  return t > delta ** 3 ? Math.cbrt(t) : t / (3 * delta * delta) + 4 / 29;
}

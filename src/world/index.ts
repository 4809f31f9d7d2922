// The procedural video world: prompt grammar, renderer, detectors, metrics, simulated annotator.
// Plain TypeScript (no tfjs, no DOM): runs in Node, the page and the engine worker alike.
export * from './rng';
export * from './vocab';
export * from './colour';
export * from './prompt';
export * from './video';
export * from './scene';
export * from './render';
export * from './segment';
export * from './detect';
export * from './metrics';
export * from './annotator';
export * from './degrade';
export * from './tastes';
export * from './descriptors';

// Moved to src/world/held-out.ts (the studio's Compare tab uses it too); kept for the scripts' imports.
export { heldOutSet } from '../../src/world/held-out';

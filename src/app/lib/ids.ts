// Record ids that do not collide across sessions, reloads and restored backups.

let counter = 0;

/** `<prefix>-<time base36>-<counter base36><random>`: sortable by creation, unique in practice. */
export function newId(prefix: string, now = Date.now()): string {
  counter = (counter + 1) % 1296;
  const random = Math.floor(Math.random() * 1296).toString(36).padStart(2, '0');
  return `${prefix}-${now.toString(36)}-${counter.toString(36).padStart(2, '0')}${random}`;
}

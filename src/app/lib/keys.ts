// Page-wide keyboard shortcuts must not fire while a person types in a field (or moves between
// tabs with the arrow keys): one test for every shortcut handler.
export function isTypingTarget(target: EventTarget | null, opts: { tablistToo?: boolean } = {}): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable) return true;
  return opts.tablistToo === true && el.closest('[role="tablist"]') !== null;
}

/** A key event with Ctrl, Alt or Meta belongs to the browser (copy, reload, …). */
export function hasCommandModifier(event: KeyboardEvent): boolean {
  return event.ctrlKey || event.metaKey || event.altKey;
}

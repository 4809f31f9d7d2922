// The keyboard map as a dialog (`?` opens it anywhere, Escape or Close shuts it).
import { useEffect, useRef } from 'react';
import { keyLabel, RANK_ACTIONS } from '../actions/rank-actions';
import { useStudio } from '../store/hooks';

export function KeyboardMap() {
  return (
    <dl className="keymap">
      {RANK_ACTIONS.map((a) => (
        <div key={a.name}>
          <dt>
            <kbd>{keyLabel(a)}</kbd>
          </dt>
          <dd>
            {a.label}
            {a.modes.length === 1 ? (a.modes[0] === 'pointwise' ? ' (thumbs mode)' : ' (pairwise mode)') : ''}
          </dd>
        </div>
      ))}
      <div>
        <dt>
          <kbd>?</kbd>
        </dt>
        <dd>This help</dd>
      </div>
    </dl>
  );
}

export function HelpOverlay() {
  const open = useStudio((s) => s.helpOpen);
  const setOpen = useStudio((s) => s.setHelpOpen);
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (open) dialog.current?.focus();
  }, [open]);
  if (!open) return null;
  return (
    <div className="overlay" onClick={() => setOpen(false)}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        tabIndex={-1}
        className="dialog"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
      >
        <h2 id="help-title">Keyboard shortcuts</h2>
        <p>On the Rank tab (not while typing in a field):</p>
        <KeyboardMap />
        <p>Tabs: ← / → move between tabs while a tab has the focus.</p>
        <button type="button" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
    </div>
  );
}

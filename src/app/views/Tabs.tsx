// The studio's tabs: an ARIA tablist (roving tabindex; ←/→, Home/End move between tabs) with one
// tabpanel per tab. Only the active panel's content is mounted, so hidden tabs run no timers.
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { TABS, type TabName } from '../store/ui-slice';
import { useStudio } from '../store/hooks';

const idOf = (tab: TabName) => tab.toLowerCase();

export function Tabs({ panels }: { panels: Record<TabName, () => ReactNode> }) {
  const tab = useStudio((s) => s.tab);
  const setTab = useStudio((s) => s.setTab);
  const buttons = useRef<Partial<Record<TabName, HTMLButtonElement | null>>>({});
  const panelRefs = useRef<Partial<Record<TabName, HTMLDivElement | null>>>({});

  const moveTo = (next: TabName) => {
    setTab(next);
    buttons.current[next]?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const target = event.key === 'ArrowRight' ? TABS[(i + 1) % TABS.length] : event.key === 'ArrowLeft' ? TABS[(i + TABS.length - 1) % TABS.length] : event.key === 'Home' ? TABS[0] : event.key === 'End' ? TABS[TABS.length - 1] : null;
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    moveTo(target);
  };

  return (
    <>
      <div role="tablist" aria-label="Studio" className="tabs" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t}
            ref={(el) => void (buttons.current[t] = el)}
            role="tab"
            type="button"
            id={`tab-${idOf(t)}`}
            aria-selected={t === tab}
            aria-controls={`panel-${idOf(t)}`}
            tabIndex={t === tab ? 0 : -1}
            onClick={(event) => {
              setTab(t);
              // A mouse click moves focus into the panel so its keys (Rank's ←/→) act there;
              // keyboard users stay in the tablist (event.detail is 0 for keyboard activation).
              if (event.detail > 0) requestAnimationFrame(() => panelRefs.current[t]?.focus());
            }}
          >
            {t}
          </button>
        ))}
      </div>
      {TABS.map((t) => (
        <div key={t} ref={(el) => void (panelRefs.current[t] = el)} role="tabpanel" id={`panel-${idOf(t)}`} aria-labelledby={`tab-${idOf(t)}`} hidden={t !== tab} tabIndex={0} className="tabpanel">
          {t === tab && panels[t]()}
        </div>
      ))}
    </>
  );
}

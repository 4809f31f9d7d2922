// The studio's tabs: an ARIA tablist (roving tabindex; ←/→, Home/End move between tabs, Enter or
// Space moves focus into the chosen tab's panel) with one tabpanel per tab. Only the active
// panel's content is mounted, so hidden tabs run no timers.
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
            onClick={() => {
              setTab(t);
              // Choosing a tab (a click, or Enter/Space on it) moves focus into its panel, so the
              // panel's keys act there (Rank's ←/→ judge instead of switching tabs). ←/→ on a tab
              // only move along the tablist (onKeyDown), and focus stays on the tab.
              requestAnimationFrame(() => panelRefs.current[t]?.focus());
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

// The studio page (docs/architecture.md §6): header, tabs Generate · Rank · Train · Compare · Export, alerts,
// and the keyboard help. State lives in the store (src/app/store/); views select what they show.
import { useEffect } from 'react';
import { isTypingTarget } from './lib/keys';
import { useStudio, useStudioApi } from './store/hooks';
import { Alerts } from './views/Alerts';
import { CompareTab } from './views/CompareTab';
import { ExportTab } from './views/ExportTab';
import { GenerateTab } from './views/GenerateTab';
import { Header } from './views/Header';
import { HelpOverlay } from './views/HelpOverlay';
import { RankTab } from './views/RankTab';
import { Tabs } from './views/Tabs';
import { TrainTab } from './views/TrainTab';

const PANELS = {
  Generate: () => <GenerateTab />,
  Rank: () => <RankTab />,
  Train: () => <TrainTab />,
  Compare: () => <CompareTab />,
  Export: () => <ExportTab />,
};

export function App() {
  const store = useStudioApi();
  const hydrated = useStudio((s) => s.hydrated);

  // `?` opens the keyboard help anywhere (except while typing), Escape closes it.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '?' && !isTypingTarget(event.target)) {
        event.preventDefault();
        store.getState().setHelpOpen(!store.getState().helpOpen);
      } else if (event.key === 'Escape' && store.getState().helpOpen) {
        store.getState().setHelpOpen(false);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  return (
    <div className="app">
      <Header />
      <Alerts />
      <main>{hydrated ? <Tabs panels={PANELS} /> : <p className="hint">Loading the project…</p>}</main>
      <HelpOverlay />
    </div>
  );
}

/** The page when the URL itself is wrong (an unknown ?model= or ?backend=): say how to fix it. */
export function StartupError({ message }: { message: string }) {
  return (
    <div className="app">
      <header className="app-header">
        <h1>vpo-studio</h1>
        <p className="status" data-testid="engine-status" data-status="failed">
          Engine not available
        </p>
      </header>
      <div role="alert" className="error error-input" data-kind="input">
        {message}
      </div>
    </div>
  );
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, StartupError } from './App';
import { bootStudio } from './boot';
import { readSettings } from './settings';
import { StudioContext } from './store/hooks';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

let page;
try {
  const store = bootStudio(readSettings(window.location.search));
  page = (
    <StudioContext.Provider value={store}>
      <App />
    </StudioContext.Provider>
  );
} catch (e) {
  page = <StartupError message={e instanceof Error ? e.message : String(e)} />;
}
createRoot(root).render(<StrictMode>{page}</StrictMode>);

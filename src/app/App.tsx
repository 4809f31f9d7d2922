// The minimal studio page: load a model in the engine worker, type a prompt, generate, watch the
// video loop. The full tabbed studio (DESIGN §6) grows from here.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { EngineEvent, ErrorKind, ReadyEvent, VideoEvent } from '../engine/protocol';
import { EngineClient } from './engineClient';
import { ProgressBar, type ProgressHandle } from './ProgressBar';
import { readSettings, type PageSettings } from './settings';
import { VideoCanvas } from './VideoCanvas';

export const DEFAULT_PROMPT = 'a red circle moves right';

type Status = 'starting' | 'ready' | 'generating' | 'failed';

interface ShownError {
  message: string;
  kind: ErrorKind;
}

function settingsFromUrl(): { settings: PageSettings | null; error: ShownError | null } {
  try {
    return { settings: readSettings(window.location.search), error: null };
  } catch (e) {
    return { settings: null, error: { message: e instanceof Error ? e.message : String(e), kind: 'internal' } };
  }
}

export function App() {
  const [{ settings, error: settingsError }] = useState(settingsFromUrl);
  const [status, setStatus] = useState<Status>(settings ? 'starting' : 'failed');
  const [engineInfo, setEngineInfo] = useState<ReadyEvent | null>(null);
  const [error, setError] = useState<ShownError | null>(settingsError);
  const [video, setVideo] = useState<VideoEvent | null>(null);
  const [prompt, setPrompt] = useState(DEFAULT_PROMPT);
  const [seed, setSeed] = useState(0);

  const engineRef = useRef<EngineClient | null>(null);
  const progressRef = useRef<ProgressHandle>(null);
  const currentRequest = useRef(0);

  // 1. start the worker, choose the backend, load the model
  useEffect(() => {
    if (!settings) return;
    const engine = new EngineClient();
    engineRef.current = engine;

    const onEvent = (event: EngineEvent) => {
      switch (event.type) {
        case 'ready':
          setEngineInfo(event);
          setStatus('ready');
          return;
        case 'progress':
          if (event.id === currentRequest.current) progressRef.current?.set(event.done, event.total);
          return;
        case 'video':
          if (event.id !== currentRequest.current) return;
          setVideo(event);
          setStatus('ready');
          return;
        case 'error':
          if (event.id !== undefined && event.id !== currentRequest.current) return;
          setError({ message: event.message, kind: event.kind });
          // An error without a request id means the engine itself could not start.
          setStatus(event.id === undefined ? 'failed' : 'ready');
          return;
      }
    };
    const unsubscribe = engine.subscribe(onEvent);

    engine.send({ type: 'init', backend: settings.forcedBackend, modelUrl: settings.modelUrl, modelName: settings.modelName });
    return () => {
      unsubscribe();
      engine.terminate();
      engineRef.current = null;
    };
  }, [settings]);

  // 2. one generate request at a time; older answers are ignored by id
  const generate = (event: FormEvent) => {
    event.preventDefault();
    const engine = engineRef.current;
    if (!engine || status !== 'ready') return;
    currentRequest.current += 1;
    setError(null);
    setStatus('generating');
    progressRef.current?.set(0, 1);
    engine.send({ type: 'generate', id: currentRequest.current, prompt: prompt.trim(), seed });
  };

  const shown = (value: string | undefined) => value ?? (status === 'failed' ? '—' : 'loading…');
  return (
    <div className="app">
      <header className="app-header">
        <h1>vpo-studio</h1>
        <dl className="engine-info" aria-label="Engine">
          <dt>Backend</dt>
          <dd data-testid="backend">{shown(engineInfo?.backend)}</dd>
          <dt>Adapter</dt>
          <dd data-testid="adapter">{shown(engineInfo?.adapter)}</dd>
          <dt>Model</dt>
          <dd data-testid="model">
            {engineInfo
              ? `${engineInfo.modelName} (${engineInfo.config.frames}×${engineInfo.config.height}×${engineInfo.config.width})`
              : shown(settings?.modelName)}
          </dd>
          <dt>Kernels</dt>
          <dd data-testid="kernels" title={engineInfo?.kernels.reason}>
            {engineInfo ? (engineInfo.kernels.fused ? 'fused WGSL' : 'reference (tfjs)') : shown(undefined)}
          </dd>
        </dl>
      </header>

      <main>
        <form className="generate-form" onSubmit={generate}>
          <label>
            Prompt
            <input type="text" value={prompt} onChange={(e) => setPrompt(e.target.value)} spellCheck={false} size={40} />
          </label>
          <label>
            Seed
            <input
              type="number"
              min={0}
              step={1}
              value={seed}
              onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))}
            />
          </label>
          <button type="submit" disabled={status !== 'ready'}>
            Generate
          </button>
        </form>

        <ProgressBar ref={progressRef} label="Generation progress" />
        <p className="status" aria-live="polite" data-testid="engine-status" data-status={status}>
          {status === 'starting' ? 'Loading model…' : status === 'generating' ? 'Generating…' : status === 'ready' ? 'Ready' : 'Engine not available'}
        </p>
        {video && (
          <p className="timing" data-testid="generation-time" data-ms={video.milliseconds.toFixed(1)}>
            Generated in {(video.milliseconds / 1000).toFixed(2)} s
          </p>
        )}

        {error && (
          <div role="alert" className={`error error-${error.kind}`} data-kind={error.kind}>
            {error.message}
          </div>
        )}

        <VideoCanvas video={video} />
      </main>
    </div>
  );
}

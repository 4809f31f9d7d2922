// The header: what the engine runs on (backend, adapter, model, fused kernels), which round the
// policy is at, and the engine's status. Test ids are part of the page's contract with tests.
import { useStudio } from '../store/hooks';

export function Header() {
  const info = useStudio((s) => s.engineInfo);
  const engineStatus = useStudio((s) => s.engineStatus);
  const policyRound = useStudio((s) => s.policyRound);
  const generating = useStudio((s) => s.generation !== null);
  const training = useStudio((s) => s.liveRound !== null);
  const lastVideoMs = useStudio((s) => s.lastVideoMs);

  const status = engineStatus !== 'ready' ? engineStatus : training ? 'training' : generating ? 'generating' : 'ready';
  const statusText = { starting: 'Loading model…', ready: 'Ready', generating: 'Generating…', training: 'Training a round…', failed: 'Engine not available' }[status];
  const shown = (value: string | undefined) => value ?? (engineStatus === 'failed' ? '—' : 'loading…');
  return (
    <header className="app-header">
      <h1>vpo-studio</h1>
      <dl className="engine-info" aria-label="Engine">
        <dt>Backend</dt>
        <dd data-testid="backend">{shown(info?.backend)}</dd>
        <dt>Adapter</dt>
        <dd data-testid="adapter">{shown(info?.adapter)}</dd>
        <dt>Model</dt>
        <dd data-testid="model">{info ? `${info.modelName} (${info.config.frames}×${info.config.height}×${info.config.width})` : shown(undefined)}</dd>
        <dt>Round</dt>
        <dd data-testid="round" data-round={policyRound}>
          {policyRound === 0 ? 'base (0)' : policyRound}
        </dd>
        <dt>Kernels</dt>
        <dd data-testid="kernels" title={info?.kernels.reason}>
          {info ? (info.kernels.fused ? 'fused WGSL' : 'reference (tfjs)') : shown(undefined)}
        </dd>
      </dl>
      <p className="status" aria-live="polite" data-testid="engine-status" data-status={status}>
        {statusText}
        {lastVideoMs !== null && (
          <span className="timing" data-testid="generation-time" data-ms={lastVideoMs.toFixed(1)}>
            {' '}· last video {(lastVideoMs / 1000).toFixed(2)} s
          </span>
        )}
      </p>
    </header>
  );
}

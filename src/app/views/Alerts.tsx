// Errors a person can act on (role alert): what went wrong and what to do. Storage-full and
// lost-GPU errors offer Backup project right there, because saving the work comes first.
import { useStudio } from '../store/hooks';

export function Alerts() {
  const alerts = useStudio((s) => s.alerts);
  const dismiss = useStudio((s) => s.dismissAlert);
  const backup = useStudio((s) => s.backupProject);
  if (alerts.length === 0) return null;
  return (
    <div className="alerts">
      {alerts.map((a) => (
        <div key={a.id} role="alert" className={`error error-${a.kind}`} data-kind={a.kind}>
          <span className="error-text">{a.message}</span>
          <span className="error-actions">
            {a.offerBackup && (
              <button type="button" onClick={backup}>
                Backup project
              </button>
            )}
            <button type="button" onClick={() => dismiss(a.id)} aria-label={`Dismiss: ${a.message.slice(0, 60)}`}>
              Dismiss
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}

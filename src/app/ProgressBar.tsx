// A progress bar updated through a handle, not React state: progress arrives once per sampler
// step and should not re-render the page each time (STYLE: high-frequency numbers via refs).
import { useImperativeHandle, useRef, type Ref } from 'react';

export interface ProgressHandle {
  set(done: number, total: number): void;
}

export function ProgressBar({ label, ref }: { label: string; ref?: Ref<ProgressHandle> }) {
  const barRef = useRef<HTMLDivElement>(null);
  const fillRef = useRef<HTMLDivElement>(null);

  useImperativeHandle(ref, () => ({
    set(done: number, total: number) {
      const bar = barRef.current;
      const fill = fillRef.current;
      if (!bar || !fill) return;
      bar.setAttribute('aria-valuemax', String(total));
      bar.setAttribute('aria-valuenow', String(done));
      bar.setAttribute('aria-valuetext', total > 0 ? `${done} of ${total} steps` : 'idle');
      fill.style.width = `${total > 0 ? (100 * done) / total : 0}%`;
    },
  }));

  return (
    <div
      ref={barRef}
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={0}
      aria-valuetext="idle"
    >
      <div ref={fillRef} className="progress-fill" style={{ width: '0%' }} />
    </div>
  );
}

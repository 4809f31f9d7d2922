// A progress bar updated through a handle, not React state: progress arrives once per sampler
// or optimiser step and should not re-render the page each time (STYLE: high-frequency numbers
// via refs). It shows done/total and the time left at the rate so far.
import { useImperativeHandle, useRef, type Ref } from 'react';
import { progressText } from './lib/eta';

export interface ProgressHandle {
  /** `elapsedMs`: time since the job started, for the estimate of the time left; `note` replaces the text (e.g. why it waits). */
  set(done: number, total: number, elapsedMs?: number, note?: string): void;
}

interface ProgressBarProps {
  label: string;
  /** What is counted: "steps", "videos". */
  unit?: string;
  ref?: Ref<ProgressHandle>;
}

export function ProgressBar({ label, unit = 'steps', ref }: ProgressBarProps) {
  const barRef = useRef<HTMLDivElement>(null);
  const fillRef = useRef<HTMLDivElement>(null);
  const textRef = useRef<HTMLSpanElement>(null);

  useImperativeHandle(ref, () => ({
    set(done: number, total: number, elapsedMs?: number, note?: string) {
      const bar = barRef.current;
      const fill = fillRef.current;
      if (!bar || !fill) return;
      const text = note !== undefined ? `${done} of ${total} ${unit} · ${note}` : elapsedMs === undefined ? (total > 0 ? `${done} of ${total} ${unit}` : 'idle') : progressText(done, total, elapsedMs, unit);
      bar.setAttribute('aria-valuemax', String(total));
      bar.setAttribute('aria-valuenow', String(done));
      bar.setAttribute('aria-valuetext', text);
      fill.style.width = `${total > 0 ? (100 * done) / total : 0}%`;
      if (textRef.current) textRef.current.textContent = total > 0 ? text : '';
    },
  }));

  return (
    <div className="progress-row">
      <div ref={barRef} className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={1} aria-valuenow={0} aria-valuetext="idle">
        <div ref={fillRef} className="progress-fill" style={{ width: '0%' }} />
      </div>
      <span ref={textRef} className="progress-text" aria-hidden="true" />
    </div>
  );
}

// Looping players that share one clock (docs/architecture.md §6: two synchronised players): every canvas shows
// the same frame index, so a person compares the same moment of both videos. Speed, pause and
// frame-by-frame stepping act on all of them; CSS `image-rendering: pixelated` upscales each
// model pixel to a crisp square. Frames are drawn from a timer through refs, not React state.
import { useEffect, useRef, useState } from 'react';
import type { ModelSummary } from '../../engine/protocol';
import { pixelScale } from '../lib/player';
import { toImageFrames } from '../VideoCanvas';

export interface PlayerVideo {
  /** The canvas's accessible name. */
  label: string;
  /** Text under the canvas (default: the label). */
  caption?: string;
  data: Uint8Array;
}

interface SyncedPlayersProps {
  videos: PlayerVideo[];
  shape: ModelSummary;
  fps: number;
  /** On-screen size of the longer side in CSS pixels, reached by whole model pixels (lib/player.ts). */
  size: number;
  /** Show pause and frame-step buttons (the Rank tab); Compare's grids just loop. */
  controls?: boolean;
  /** Restart at frame 0 when this changes (a new pair). */
  resetKey?: string;
}

export function SyncedPlayers({ videos, shape, fps, size, controls = false, resetKey }: SyncedPlayersProps) {
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  const frame = useRef(0);
  const drawn = useRef(0);
  const [paused, setPaused] = useState(false);
  const [shownFrame, setShownFrame] = useState(0);

  const images = useRef<ImageData[][]>([]);
  const draw = () => {
    const f = frame.current % shape.frames;
    drawn.current += 1;
    images.current.forEach((frames, i) => {
      const canvas = canvases.current[i];
      const context = canvas?.getContext('2d');
      if (!canvas || !context || !frames[f]) return;
      context.putImageData(frames[f], 0, 0);
      // Tests (and people inspecting the DOM) can wait on these instead of on timing.
      canvas.dataset.framesDrawn = String(drawn.current);
      canvas.dataset.frame = String(f);
    });
  };

  useEffect(() => {
    images.current = videos.map((v) => toImageFrames({ ...shape, data: v.data }));
    frame.current = 0;
    draw();
    setShownFrame(0);
  }, [videos, shape, resetKey]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (paused) return;
    const timer = window.setInterval(() => {
      frame.current = (frame.current + 1) % shape.frames;
      draw();
    }, 1000 / fps);
    return () => window.clearInterval(timer);
  }, [paused, fps, shape.frames]); // eslint-disable-line react-hooks/exhaustive-deps

  const step = (delta: number) => {
    setPaused(true);
    frame.current = (frame.current + delta + shape.frames) % shape.frames;
    draw();
    setShownFrame(frame.current);
  };

  const scale = pixelScale(size, shape);
  const style = { width: shape.width * scale, height: shape.height * scale, imageRendering: 'pixelated' as const };
  return (
    <div className="players">
      <div className="player-row">
        {videos.map((v, i) => (
          <figure key={v.label} className="player">
            <canvas ref={(el) => void (canvases.current[i] = el)} aria-label={v.label} className="video-canvas" width={shape.width} height={shape.height} style={style} />
            <figcaption>{v.caption ?? v.label}</figcaption>
          </figure>
        ))}
      </div>
      {controls && (
        <div className="player-controls" role="group" aria-label="Player">
          <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused}>
            {paused ? 'Play' : 'Pause'}
          </button>
          <button type="button" onClick={() => step(-1)}>
            Previous frame
          </button>
          <button type="button" onClick={() => step(1)}>
            Next frame
          </button>
          {paused && <span className="frame-index">frame {shownFrame + 1} of {shape.frames}</span>}
        </div>
      )}
    </div>
  );
}

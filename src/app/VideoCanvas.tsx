// Loops a generated video on a canvas at its native resolution; CSS scales it up with
// `image-rendering: pixelated` so every model pixel stays a crisp square (docs/architecture.md §6).
import { useEffect, useRef } from 'react';

export interface VideoFrames {
  frames: number;
  height: number;
  width: number;
  /** RGB bytes [frames, height, width, 3]. */
  data: Uint8Array;
}

interface VideoCanvasProps {
  video: VideoFrames | null;
  fps?: number;
  /** On-screen size of the longer side, in CSS pixels. */
  displaySize?: number;
  label?: string;
}

/** RGB [F,H,W,3] → one RGBA ImageData per frame. */
export function toImageFrames(video: VideoFrames): ImageData[] {
  const { frames, height, width, data } = video;
  const pixels = height * width;
  if (data.length !== frames * pixels * 3) {
    throw new Error(`video data holds ${data.length} bytes, expected ${frames}·${height}·${width}·3 = ${frames * pixels * 3}`);
  }
  const images: ImageData[] = [];
  for (let f = 0; f < frames; f++) {
    const rgba = new Uint8ClampedArray(pixels * 4);
    const base = f * pixels * 3;
    for (let p = 0; p < pixels; p++) {
      rgba[p * 4] = data[base + p * 3];
      rgba[p * 4 + 1] = data[base + p * 3 + 1];
      rgba[p * 4 + 2] = data[base + p * 3 + 2];
      rgba[p * 4 + 3] = 255;
    }
    images.push(new ImageData(rgba, width, height));
  }
  return images;
}

export function VideoCanvas({ video, fps = 8, displaySize = 256, label = 'Generated video' }: VideoCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    canvas.removeAttribute('data-frames-drawn');
    if (!video || video.frames === 0) return;
    const context = canvas.getContext('2d');
    if (!context) return;
    canvas.width = video.width;
    canvas.height = video.height;
    const images = toImageFrames(video);
    let drawn = 0;
    const drawNext = () => {
      context.putImageData(images[drawn % images.length], 0, 0);
      drawn++;
      // Tests (and people inspecting the DOM) can wait on this instead of on timing.
      canvas.dataset.framesDrawn = String(drawn);
    };
    drawNext();
    const timer = window.setInterval(drawNext, 1000 / fps);
    return () => window.clearInterval(timer);
  }, [video, fps]);

  const aspect = video ? video.width / video.height : 1;
  const style = {
    width: aspect >= 1 ? displaySize : Math.round(displaySize * aspect),
    height: aspect >= 1 ? Math.round(displaySize / aspect) : displaySize,
    imageRendering: 'pixelated' as const,
  };
  return <canvas ref={canvasRef} aria-label={label} className="video-canvas" width={1} height={1} style={style} />;
}

// Export: the cumulative LoRA of every completed round (one zip: peft + diffusers), the
// preference dataset (Hugging Face VideoFolder, H.264 via ffmpeg.wasm), single videos as MP4 or
// GIF, Import LoRA, and backup / restore of the whole project. Formats: src/export/.
import { useRef, useState } from 'react';
import { completedRounds } from '../../prefs/rounds';
import { readFiles } from '../lib/download';
import { ProgressBar, type ProgressHandle } from '../ProgressBar';
import { useJobProgress, useStudio } from '../store/hooks';

export function ExportTab() {
  const rounds = useStudio((s) => s.rounds);
  const pairs = useStudio((s) => s.pairs);
  const judgmentCount = useStudio((s) => s.judgments.length);
  const ready = useStudio((s) => s.engineStatus === 'ready');
  const exporting = useStudio((s) => s.exportProgress !== null);
  const exportLora = useStudio((s) => s.exportLora);
  const importLora = useStudio((s) => s.importLora);
  const exportDataset = useStudio((s) => s.exportDataset);
  const exportVideo = useStudio((s) => s.exportVideo);
  const backupProject = useStudio((s) => s.backupProject);
  const restoreProject = useStudio((s) => s.restoreProject);

  const completed = completedRounds(rounds);
  const totalRank = completed.reduce((a, r) => a + (r.lora?.rank ?? 0), 0);
  const [videoId, setVideoId] = useState('');
  const [busyVideo, setBusyVideo] = useState(false);
  const [status, setStatus] = useState('');
  const chosenVideo = videoId || pairs[0]?.videoIds[0] || '';

  const progress = useRef<ProgressHandle>(null);
  useJobProgress((s) => s.exportProgress, progress);

  return (
    <section className="export" aria-label="Export and import">
      <h2 className="section-title">LoRA</h2>
      <p className="hint">
        {completed.length === 0 ? 'No completed round yet.' : `The cumulative LoRA of ${completed.length} completed round${completed.length > 1 ? 's' : ''} (rank ${totalRank}): peft folder and diffusers file in one zip.`}
      </p>
      <div className="row">
        <button type="button" onClick={exportLora} disabled={!ready || completed.length === 0}>
          Export LoRA
        </button>
        <label>
          Import LoRA
          <input
            type="file"
            multiple
            accept=".zip,.safetensors,.json"
            disabled={!ready}
            onChange={async (e) => {
              const input = e.currentTarget;
              const files = await readFiles(input.files);
              input.value = '';
              if (files.length === 0) return;
              setStatus('');
              if (await importLora(files)) setStatus(`Imported ${files.map((f) => f.name).join(', ')} as a new round; the policy now includes it.`);
            }}
          />
        </label>
      </div>

      <h2 className="section-title">Dataset</h2>
      <p className="hint">
        Hugging Face VideoFolder: metadata.jsonl (one row per judgment) and videos/*.mp4 (H.264) — {judgmentCount} judgments on {pairs.length} pairs.
      </p>
      <div className="row">
        <button type="button" onClick={() => void exportDataset()} disabled={exporting || judgmentCount === 0}>
          Export dataset
        </button>
      </div>
      <ProgressBar ref={progress} label="Dataset export progress" unit="videos" />

      <h2 className="section-title">One video</h2>
      <div className="row">
        <label>
          Video
          <select value={chosenVideo} onChange={(e) => setVideoId(e.target.value)} disabled={pairs.length === 0}>
            {pairs.flatMap((p) =>
              p.videoIds.map((id, i) => (
                <option key={id} value={id}>
                  {p.prompt} · seed {p.seeds[i]} ({id})
                </option>
              )),
            )}
          </select>
        </label>
        {(['mp4', 'gif'] as const).map((format) => (
          <button
            key={format}
            type="button"
            disabled={!chosenVideo || busyVideo}
            onClick={async () => {
              setBusyVideo(true);
              try {
                await exportVideo(chosenVideo, format);
              } finally {
                setBusyVideo(false);
              }
            }}
          >
            Download {format.toUpperCase()}
          </button>
        ))}
      </div>

      <h2 className="section-title">Project</h2>
      <p className="hint">Everything — pairs, videos, judgments, rounds with their LoRAs, settings — in one file.</p>
      <div className="row">
        <button type="button" onClick={backupProject}>
          Backup project
        </button>
        <label>
          Restore project
          <input
            type="file"
            accept=".zip"
            onChange={async (e) => {
              const input = e.currentTarget;
              const [file] = await readFiles(input.files);
              input.value = '';
              if (!file) return;
              setStatus('');
              if (await restoreProject(file)) setStatus(`Restored the project from ${file.name}.`);
            }}
          />
        </label>
      </div>
      <p className="hint" role="status" data-testid="export-status">
        {status}
      </p>
    </section>
  );
}

// Hand bytes to the person as a file download (the Export tab's zips, videos and backups).
export function saveBytes(bytes: Uint8Array, fileName: string, mimeType: string): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once it started; give it a moment before freeing the blob.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file input's files as bytes (Import LoRA, Restore project). */
export async function readFiles(list: FileList | null): Promise<{ name: string; bytes: Uint8Array }[]> {
  return Promise.all([...(list ?? [])].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
}

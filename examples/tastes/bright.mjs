// A researcher's own taste, as `npm run bench:loop -- --taste examples/tastes/bright.mjs` loads
// it: prefers brighter videos — the mean luminance of every pixel of every frame.
// `video` is { frames, height, width, data }, data a Float32Array of RGB in [-1, 1] laid out
// [frames, height, width, 3]; `prompt` is the prompt text. Higher is preferred.
export default function bright(video, prompt) {
  const { data } = video;
  let sum = 0;
  for (let i = 0; i < data.length; i += 3) sum += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
  return sum / (data.length / 3);
}

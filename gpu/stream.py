"""The pretraining batch stream: W batch servers (`node gpu/build/batches.mjs`, scripts/gpu-batches.ts)
read in threads into a queue of NumPy arrays. NumPy only, so it is checked where PyTorch is absent:
    python3 gpu/stream.py --check CONFIG_JSON   (prints a summary of the first two batches as JSON)
"""
import json
import os
import queue
import struct
import subprocess
import sys
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BATCHES = os.path.join(HERE, 'build', 'batches.mjs')


def node_json(args, node_bin='node'):
    return json.loads(subprocess.run([node_bin, BATCHES, *args], check=True, capture_output=True).stdout)


def read_records(pipe, dims, lt, put):
    """Parse records (layout in scripts/gpu-batches.ts) until the pipe closes."""
    f, h, w = dims
    per = f * h * w * 3
    while True:
        head = pipe.read(16)
        if len(head) < 16:
            return
        step, b, nbytes = struct.unpack('<III', head[4:])
        if head[:4] != b'VPOB':
            raise RuntimeError(f'batch stream out of sync (got {head[:4]!r})')
        body = bytearray(nbytes)  # writable, so the arrays below are too (PyTorch takes them without a copy)
        view, got = memoryview(body), 0
        while got < nbytes:
            n = pipe.readinto(view[got:])
            if not n:
                return
            got += n
        at = 0

        def take(count, dtype):
            nonlocal at
            arr = np.frombuffer(body, dtype=dtype, count=count, offset=at)
            at += arr.nbytes
            return arr
        x0 = take(b * per, np.float32).reshape(b, f, h, w, 3)
        ids = take(b * lt, np.int32).reshape(b, lt)
        t = take(b, np.float32)
        ff = take(b, np.uint8).astype(bool)
        if at != nbytes:
            raise RuntimeError(f'record of step {step}: {nbytes} bytes, parsed {at}')
        put((step, x0, ids, t, ff))


class BatchStream:
    """Steps start, start+1, … split over `workers` servers (server k: start+k, start+k+W, …)."""

    def __init__(self, config, config_file, batch, seed, start, workers, batch_flags=(), node_bin='node'):
        flags = list(batch_flags)
        self.q = queue.Queue(maxsize=4 * workers)
        self.procs = []
        for k in range(workers):
            p = subprocess.Popen([node_bin, BATCHES, '--config-json', config_file, '--seed', str(seed), '--start', str(start + k),
                                  '--stride', str(workers), '--batch', str(batch), *flags], stdout=subprocess.PIPE, bufsize=1 << 24)
            self.procs.append(p)
            threading.Thread(target=read_records, args=(p.stdout, (config['frames'], config['height'], config['width']),
                                                        config['maxTextLength'], self.q.put), daemon=True).start()

    def get(self):
        return self.q.get()

    def queued(self):
        return self.q.qsize()

    def close(self):
        for p in self.procs:
            p.kill()


if __name__ == '__main__' and len(sys.argv) == 3 and sys.argv[1] == '--check':
    cfg = json.load(open(sys.argv[2]))
    s = BatchStream(cfg, sys.argv[2], 3, 1, 42, 2)
    got = sorted([s.get(), s.get()], key=lambda r: r[0])
    s.close()
    print(json.dumps([{'step': r[0], 'x0_sum': float(r[1].astype(np.float64).sum()), 'x0_shape': list(r[1].shape),
                       'ids': r[2].tolist(), 't': r[3].tolist(), 'first_frame': r[4].tolist()} for r in got]))

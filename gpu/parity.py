"""Parity of the twin with the TypeScript model on a fixture written by tests/unit/gpu-twin.test.ts
(or `npx tsx scripts/gpu-parity-fixture.ts`): the same parameters and inputs, the velocity and the
flow-matching loss the TypeScript model computed. Prints JSON with the largest differences and
exits 1 when they exceed the tolerance, so a device call stops before it trains.
    python3 gpu/parity.py FIXTURE [--backend numpy|torch] [--device cuda]
"""
import argparse
import json
import sys

import numpy as np

from twin import Model, NumpyOps, TorchOps, flow_loss, read_safetensors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('fixture')
    ap.add_argument('--backend', default='numpy', choices=['numpy', 'torch'])
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--tolerance', type=float, default=1e-4, help='largest |Δv| allowed, relative to max(1, |v|); the loss gets 1e-5')
    a = ap.parse_args()
    tensors, meta = read_safetensors(a.fixture)
    config = json.loads(meta['config'])
    info = json.loads(meta['model_info'])
    ops = NumpyOps() if a.backend == 'numpy' else TorchOps(a.device)
    model = Model(ops, config, info)
    P = {k: ops.tensor(v.astype(np.float32)) for k, v in tensors.items() if not k.startswith(('input.', 'expected.'))}
    x = ops.tensor(tensors['input.xt'])
    t_frames = ops.tensor(tensors['input.t_frames'])
    ids = ops.tensor(tensors['input.ids'])
    v = model.forward(P, x, t_frames, ids)
    v = np.asarray(v if a.backend == 'numpy' else v.detach().cpu().numpy())
    want = tensors['expected.v']
    loss = flow_loss(model, P, ops.tensor(tensors['input.x0']), ops.tensor(tensors['input.eps']),
                     tensors['input.t'], tensors['input.first_frame'].astype(bool), ids)
    loss = float(loss if a.backend == 'numpy' else loss.item())
    want_loss = float(tensors['expected.loss'][0])
    r = {
        'backend': a.backend,
        'v_max_abs_err': float(np.abs(v - want).max()),
        'v_max_abs': float(np.abs(want).max()),
        'loss': loss,
        'loss_rel_err': abs(loss - want_loss) / abs(want_loss),
    }
    r['ok'] = r['v_max_abs_err'] <= a.tolerance * max(1.0, r['v_max_abs']) and r['loss_rel_err'] <= 1e-5
    json.dump(r, sys.stdout)
    print()
    if not r['ok']:
        sys.exit(f'parity FAILED on {a.fixture}: the twin does not compute what dit.ts computes; do not train with it')


if __name__ == '__main__':
    main()

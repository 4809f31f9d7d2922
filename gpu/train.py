"""Pretrain the studio's video DiT on a GPU with the PyTorch twin (gpu/twin.py).

Batches come from the TypeScript world through the bundled batch server (`node gpu/build/batches.mjs`,
the same pure function of (seed, step) as `npm run pretrain`), several processes at once; the noise
is drawn on the GPU. Adam (β 0.9/0.99, ε 1e-8, global clip 1, as src/diffusion/optim.ts), an EMA
(0.999) that is what gets written, linear warm-up, constant, then a linear decay to zero over the
last --decay-steps. Stops at --steps or after --minutes, whichever comes first (a device call is
limited), and always writes:
  OUT/model.safetensors   the EMA weights as a studio checkpoint (loads in the page and `npm run eval`)
  OUT/raw.safetensors     the raw weights (same format), for --resume
  OUT/adam.pt             Adam's moments and the step, for --resume (each file < 16 MB for the device's $OUT)
  OUT/log.json            loss per logged step, steps/s, seconds of training (all calls of a run), settings
    python3 gpu/train.py --preset small --out OUT [--init CHECKPOINT] [--resume DIR]
                         [--batch 256] [--lr 1e-3] [--steps N] [--minutes M --decay-minutes D] [--workers 12]
                         [-- pretrain's batch flags, e.g. --focus-actions ... --focus-rate 0.25]
With --minutes the learning rate decays linearly to zero over the last --decay-minutes (a call ends
on time, not on a step count); without, over the last --decay-steps.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

from stream import BatchStream, node_json
from twin import Model, TorchOps, flow_loss, read_safetensors, save_checkpoint

def init_params(specs, seed, device):
    g = torch.Generator().manual_seed(seed)
    params = {}
    for s in specs:
        shape = s['torchShape']
        if s['init'] == 'zeros':
            t = torch.zeros(shape)
        elif s['init'] == 'ones':
            t = torch.ones(shape)
        elif s['init'] == 'normal02':
            t = torch.randn(shape, generator=g) * 0.02
        else:  # xavier-uniform on a Linear weight [out, in]
            limit = (6.0 / (shape[0] + shape[1])) ** 0.5
            t = (torch.rand(shape, generator=g) * 2 - 1) * limit
        params[s['name']] = t.to(device)
    return params


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='')
    ap.add_argument('--init', default='', help='start from this studio checkpoint (its config and weights)')
    ap.add_argument('--resume', default='', help='an --out folder of an earlier run (model, raw, adam)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--node', default='node')
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--warmup', type=int, default=200)
    ap.add_argument('--steps', type=int, default=100000)
    ap.add_argument('--decay-steps', type=int, default=0)
    ap.add_argument('--minutes', type=float, default=0, help='stop (and save) after this long')
    ap.add_argument('--decay-minutes', type=float, default=0)
    ap.add_argument('--ema-decay', type=float, default=0.999)
    ap.add_argument('--workers', type=int, default=max(1, (os.cpu_count() or 2) - 2))
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--save-every', type=int, default=2000)
    ap.add_argument('--compile', action='store_true')
    ap.add_argument('--name', default='', help='the config name to write (the page names a model by it)')
    a, batch_flags = ap.parse_known_args()
    batch_flags = [x for x in batch_flags if x != '--']
    start_time = time.time()
    os.makedirs(a.out, exist_ok=True)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True

    if a.resume:
        tensors, meta = read_safetensors(os.path.join(a.resume, 'raw.safetensors'))
        ema_tensors, _ = read_safetensors(os.path.join(a.resume, 'model.safetensors'))
        config = json.loads(meta['config'])
    elif a.init:
        tensors, meta = read_safetensors(a.init)
        config = json.loads(meta['config'])
    elif a.preset:
        config = node_json(['--preset', a.preset, '--print-config'], a.node)
    else:
        sys.exit('give --preset NAME, --init CHECKPOINT or --resume STATE')
    if a.name:
        config = {**config, 'name': a.name}
    config_file = os.path.join(a.out, 'config.json')
    with open(config_file, 'w') as fh:
        json.dump(config, fh)
    info = node_json(['--config-json', config_file, '--model-info'], a.node)
    names = [s['name'] for s in info['specs']]

    load = lambda src: {k: torch.as_tensor(np.array(src[k], np.float32), device=device) for k in names}
    adam = torch.load(os.path.join(a.resume, 'adam.pt'), map_location=device) if a.resume else None
    params = load(tensors) if (a.resume or a.init) else init_params(info['specs'], a.seed, device)
    ema = load(ema_tensors) if a.resume else {k: v.clone() for k, v in params.items()}
    step0 = adam['step'] if adam else 0
    for v in params.values():
        v.requires_grad_(True)
    opt = torch.optim.Adam(list(params.values()), lr=a.lr, betas=(0.9, 0.99), eps=1e-8)
    if adam:
        opt.load_state_dict(adam['opt'])

    model = Model(TorchOps(device), config, info)
    loss_fn = lambda P, x0, eps, t, ff, ids: flow_loss(model, P, x0, eps, t, ff, ids)
    if a.compile:
        loss_fn = torch.compile(loss_fn)

    stream = BatchStream(config, config_file, a.batch, a.seed, step0, a.workers, batch_flags, a.node)

    def lr_at(step):
        lr = a.lr * min(1.0, (step - step0 + 1) / a.warmup) if step0 == 0 else a.lr
        if a.minutes and a.decay_minutes:
            left = a.minutes - (time.time() - start_time) / 60
            lr *= min(1.0, max(0.0, left / a.decay_minutes))
        elif a.decay_steps and step >= a.steps - a.decay_steps:
            lr *= max(0.0, (a.steps - step) / a.decay_steps)
        return lr

    log = {'settings': {**vars(a), 'batch_flags': batch_flags, 'config': config}, 'loss': [], 'steps_per_s': None}
    prev = os.path.join(a.resume, 'log.json') if a.resume else ''
    prev_seconds = 0.0
    if prev and os.path.exists(prev):
        prev_log = json.load(open(prev))
        log['loss'], prev_seconds = prev_log['loss'], prev_log.get('seconds', 0.0)
    step, window, t_window, last_loss = step0, [], time.time(), float('nan')

    def save():
        log['seconds'] = prev_seconds + time.time() - start_time  # training time over all calls of the run
        meta = {'step': str(step), 'loss': f'{last_loss:.5f}', 'batch': str(a.batch)}
        save_checkpoint(os.path.join(a.out, 'model.safetensors'), config, ema, {**meta, 'trainer': 'gpu/train.py (PyTorch twin, EMA weights)'})
        save_checkpoint(os.path.join(a.out, 'raw.safetensors'), config, params, {**meta, 'trainer': 'gpu/train.py (PyTorch twin, raw weights)'})
        torch.save({'step': step, 'opt': opt.state_dict()}, os.path.join(a.out, 'adam.pt'))
        with open(os.path.join(a.out, 'log.json'), 'w') as fh:
            json.dump(log, fh)

    plist = [params[k] for k in names]
    elist = [ema[k] for k in names]
    try:
        while step < a.steps and not (a.minutes and time.time() - start_time > 60 * a.minutes):
            _, x0, ids, t, ff = stream.get()
            for g in opt.param_groups:
                g['lr'] = lr_at(step)
            x0 = torch.as_tensor(x0, device=device)
            eps = torch.randn_like(x0)
            loss = loss_fn(params, x0, eps, t, ff, torch.as_tensor(ids, device=device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(plist, 1.0)
            opt.step()
            d = min(a.ema_decay, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_mul_(elist, d)
                torch._foreach_add_(elist, [p.detach() for p in plist], alpha=1 - d)
            step += 1
            window.append(loss.detach())
            if step % a.log_every == 0:
                last_loss = float(torch.stack(window).mean())
                rate = len(window) / (time.time() - t_window)
                log['loss'].append([step, round(last_loss, 5)])
                log['steps_per_s'] = rate
                print(f'step {step} loss {last_loss:.4f} lr {lr_at(step):.2e} {rate:.1f} steps/s queue {stream.queued()}', flush=True)
                window, t_window = [], time.time()
            if step % a.save_every == 0:
                save()
    finally:
        save()
        stream.close()
        print(f'saved step {step} to {a.out} after {(time.time() - start_time) / 60:.1f} min', flush=True)


if __name__ == '__main__':
    main()

# PyTorch side of bench/image-tower.ts: forward + backward of image-cnn's architecture (k×k conv + bias + ReLU + 2×2
# max pool per stage, global average pool, projection to D, L2) on a (B, 3, S, S) batch; prints one JSON line.
import argparse, json, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--shape', required=True)  # {"batch", "imageSize", "channels", "kernel", "dim"}
p.add_argument('--threads', type=int, default=1)
p.add_argument('--steps', type=int, default=20)
a = p.parse_args()
s = json.loads(a.shape)
torch.set_num_threads(a.threads)
torch.manual_seed(1)
layers, c = [], 3
for o in s['channels']:
    layers += [nn.Conv2d(c, o, s['kernel'], padding=s['kernel'] // 2), nn.ReLU(), nn.MaxPool2d(2)]
    c = o
net, proj = nn.Sequential(*layers), nn.Linear(c, s['dim'])
x = torch.rand(s['batch'], 3, s['imageSize'], s['imageSize'])


def step():
    net.zero_grad(set_to_none=True)
    proj.zero_grad(set_to_none=True)
    y = F.normalize(proj(net(x * 2 - 1).mean((2, 3))), dim=-1)
    y.sum().backward()


for _ in range(3):
    step()
ts = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    ts.append((time.perf_counter() - t0) * 1000)
ts.sort()
print(json.dumps({'msPerStep': ts[len(ts) // 2], 'torch': torch.__version__, 'threads': a.threads}))

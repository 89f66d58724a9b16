#!/usr/bin/env python3
"""PyTorch reference for bench/train-step.ts: the SAME unified model (embedding-bag text + NLU transformers,
ViT, cross-attention fusion), batch, stage-3 loss (L_TI + a*L_QC + b*(intent-ce + slot-ce + mse-align)),
global-norm clipping and AdamW, built from the StepShape JSON bench/lib/unir-step.ts writes.

Run (bench/index.ts does this): env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
    bench/torch-reference.py --shape '<StepShape JSON>' --threads N [--steps 5] [--warmup 2]
Prints one JSON line: {"msPerStep", "params", "loss", "threads", "torch", "blas"} (blas: the library loaded, OpenBLAS's
core type, torch's CPU capability). Needs python3-torch (scripts/bench-setup.sh).
"""
import argparse
import ctypes
import json
import re
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MASKED = -1e9


def gelu(x):  # tanh approximation, as src/core/nn/ops.ts (x·sigmoid(2u))
    return x * torch.sigmoid(2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))


def l2n(x):
    return x * torch.rsqrt(torch.clamp((x * x).sum(-1, keepdim=True), min=1e-12))


class MHA(nn.Module):
    def __init__(self, dim, heads, kv_dim=None):
        super().__init__()
        kv = kv_dim or dim
        self.h, self.dh = heads, dim // heads
        self.q, self.k, self.v, self.o = nn.Linear(dim, dim), nn.Linear(kv, dim), nn.Linear(kv, dim), nn.Linear(dim, dim)

    def forward(self, x, memory=None, key_mask=None):
        mem = x if memory is None else memory
        b, tq, _ = x.shape
        tk = mem.shape[1]
        split = lambda t, n: t.view(b, n, self.h, self.dh).transpose(1, 2)  # (B, h, T, dh)
        q = split(self.q(x) / math.sqrt(self.dh), tq)
        k, v = split(self.k(mem), tk), split(self.v(mem), tk)
        s = q @ k.transpose(-1, -2)  # (B, h, Tq, Tk)
        if key_mask is not None:
            s = s + ((1 - key_mask) * MASKED).view(b, 1, 1, tk)
        ctx = torch.softmax(s, -1) @ v
        return self.o(ctx.transpose(1, 2).reshape(b, tq, self.h * self.dh))


class Block(nn.Module):  # pre-LN, as src/core/nn/transformer.ts
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.ln1, self.attn, self.ln2 = nn.LayerNorm(dim, eps=1e-5), MHA(dim, heads), nn.LayerNorm(dim, eps=1e-5)
        self.fc1, self.fc2 = nn.Linear(dim, round(mlp_ratio * dim)), nn.Linear(round(mlp_ratio * dim), dim)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), key_mask=mask)
        return x + self.fc2(gelu(self.fc1(self.ln2(x))))


class Stack(nn.Module):
    def __init__(self, layers, dim, heads, mlp_ratio):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, x, mask):
        for blk in self.blocks:
            x = blk(x, mask)
        return self.ln_f(x)


class TokenTrunk(nn.Module):  # embedding-bag (sum of G pieces, pad pieces masked) + positions + stack
    def __init__(self, s, p):
        super().__init__()
        self.pad = s["padId"]
        self.embed = nn.Parameter(torch.randn(s["vocabSize"], p["hidden"]) * 0.02)
        self.pos = nn.Parameter(torch.randn(s["maxLength"], p["hidden"]) * 0.02)
        self.stack = Stack(p["layers"], p["hidden"], p["heads"], p["mlpRatio"])

    def forward(self, ids, mask, hook=None):
        b, t, g = ids.shape
        flat = ids.reshape(-1)
        rows = F.embedding(flat, self.embed) * (flat != self.pad).unsqueeze(1).float()
        x = rows.view(b, t, g, -1).sum(2) + self.pos[:t]
        if hook is not None:
            x = hook(x, mask)
        return self.stack(x, mask)


def masked_mean(x, mask):
    m = mask.unsqueeze(2)
    return (x * m).sum(1) / torch.clamp(m.sum(1), min=1)


class Unified(nn.Module):
    def __init__(self, s):
        super().__init__()
        D, Ht, Hn, im = s["dim"], s["text"]["hidden"], s["nlu"]["hidden"], s["image"]
        self.text, self.text_proj = TokenTrunk(s, s["text"]), nn.Linear(Ht, D)
        self.nlu = TokenTrunk(s, s["nlu"])
        I, S = s["numIntents"], s["numSlotLabels"]
        self.intent, self.slot, self.semantic = nn.Linear(Hn, I), nn.Linear(Hn, S), nn.Linear(Hn, Hn)
        self.intent_table = nn.Parameter(torch.randn(I, Hn) * 0.02)
        self.cnn = im["kind"] == "cnn"
        if self.cnn:  # src/plugins/encoders/image-cnn.ts: conv k×k 'same' + ReLU + 2×2 max pool per stage, mean, proj
            chans = [3] + im["channels"]
            self.convs = nn.ModuleList(nn.Conv2d(a, b, im["kernel"], padding=im["kernel"] // 2) for a, b in zip(chans, chans[1:]))
            self.img_proj = nn.Linear(chans[-1], D)
        else:
            self.p, self.n = im["patchSize"], (im["imageSize"] // im["patchSize"]) ** 2
            self.patch = nn.Linear(self.p * self.p * 3, im["hidden"])
            self.cls = nn.Parameter(torch.randn(1, 1, im["hidden"]) * 0.02)
            self.img_pos = nn.Parameter(torch.randn(self.n + 1, im["hidden"]) * 0.02)
            self.img_stack = Stack(im["layers"], im["hidden"], im["heads"], im["mlpRatio"])
            self.img_proj = nn.Linear(im["hidden"], D)
        self.ln_q, self.ln_m = nn.LayerNorm(Ht, eps=1e-5), nn.LayerNorm(Hn, eps=1e-5)
        self.fuse_attn = MHA(Ht, s["fusionHeads"], Hn)
        self.gate = nn.Parameter(torch.full((Ht,), float(s["gateInit"])))

    def encode_text(self, ids, mask, hook=None):
        return l2n(self.text_proj(masked_mean(self.text(ids, mask, hook), mask)))

    def run_nlu(self, ids, mask):
        tok = self.nlu(ids, mask)
        pooled = masked_mean(tok, mask)
        il = self.intent(pooled)
        return dict(tokens=tok, intent=il, slot=self.slot(tok), semantic=self.semantic(pooled),
                    intent_emb=torch.softmax(il, -1) @ self.intent_table)

    def encode_query(self, ids, mask):
        o = self.run_nlu(ids, mask)

        def hook(x, m):
            b = m.shape[0]
            memory = self.ln_m(torch.cat([o["tokens"], torch.stack([o["intent_emb"], o["semantic"]], 1)], 1))
            mm = torch.cat([m, torch.ones(b, 2)], 1)
            return x + self.fuse_attn(self.ln_q(x), memory, mm) * self.gate

        return self.encode_text(ids, mask, hook)

    def encode_image(self, img):
        if self.cnn:
            x = img.permute(0, 3, 1, 2) * 2 - 1  # NHWC → NCHW
            for conv in self.convs:
                x = F.relu(conv(x))
                if x.shape[-1] > 1:
                    x = F.max_pool2d(x, 2)
            return l2n(self.img_proj(x.mean((2, 3))))
        b, S, _, c = img.shape
        p, n = self.p, S // self.p
        x = img * 2 - 1
        patches = x.reshape(b * n, p, n, p * c).transpose(1, 2).reshape(b, n * n, p * p * c)
        tokens = torch.cat([self.cls.expand(b, 1, -1), self.patch(patches)], 1) + self.img_pos
        states = self.img_stack(tokens, None)
        return l2n(self.img_proj(states[:, 0]))


class InfoNce(nn.Module):
    def __init__(self, tau):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / tau)))

    def forward(self, a, b):
        scale = torch.exp(torch.clamp(self.logit_scale, max=math.log(100)))
        logits = scale * a @ b.t()
        y = torch.arange(a.shape[0])
        return (F.cross_entropy(logits, y) + F.cross_entropy(logits.t(), y)) / 2


def blas_info():
    """The BLAS library this process loaded and, for OpenBLAS, the core type it chose (its kernels for this CPU)."""
    libs = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if ("blas" in path or "mkl" in path) and path.startswith("/") and path not in libs:
                libs.append(path)
    info = {"libraries": libs}
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["coreType"] = lib.openblas_get_corename().decode()
            info["config"] = lib.openblas_get_config().decode()
            break
        except (OSError, AttributeError):
            continue
    cap = re.search(r"CPU capability usage: (\w+)", torch.__config__.show())
    info["torchCpuCapability"] = cap.group(1) if cap else None
    info["mkldnn"] = torch.backends.mkldnn.is_available()
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    s = json.loads(args.shape)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Unified(s)
    l_ti, l_qc = InfoNce(s["temperature"]), InfoNce(s["temperature"])
    params = [*model.parameters(), *l_ti.parameters(), *l_qc.parameters()]
    n_params = sum(p.numel() for p in params)
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": s["weightDecay"]}, {"params": no_decay, "weight_decay": 0}],
                            lr=s["lr"], betas=(0.9, 0.999), eps=1e-8)
    T, G, V, S = s["maxLength"], s["pieces"], s["vocabSize"], s["image"]["imageSize"]
    ic, nqc, nnlu, sem, k = s["pairs"]["ic"], s["pairs"]["qc"], s["pairs"]["nlu"], s["pairs"]["sem"], s["captionsPerImage"]

    def texts(n):  # T real tokens, CLS first, full bags of G pieces (bench/lib/unir-step.ts tokenBatch)
        ids = torch.randint(2, V, (n, T, G))
        ids[:, 0, :] = 1
        return ids, torch.ones(n, T)

    captions, chunks, semantic, q1, q2, q3 = texts(ic * k), texts(nqc), texts(sem), texts(nqc), texts(nnlu), texts(sem)
    images = torch.rand(ic, S, S, 3)
    intent_y = torch.randint(0, s["numIntents"], (nnlu,))
    slot_y = torch.randint(0, s["numSlotLabels"], (nnlu, T))
    slot_mask = torch.ones(nnlu, T)
    slot_mask[:, 0] = 0
    a, b = s["weights"]["a"], s["weights"]["b"]

    def step():
        with torch.no_grad():
            target = model.encode_text(*semantic)
        text = model.encode_text(*captions)  # (ic·k, D): k captions per image, averaged
        ti = l_ti(model.encode_image(images), l2n(text.reshape(ic, k, -1).mean(1)) if k > 1 else text)
        qc = l_qc(model.encode_query(*q1), model.encode_text(*chunks))
        o = model.run_nlu(*q2)
        intent = F.cross_entropy(o["intent"], intent_y)
        ce = F.cross_entropy(o["slot"].reshape(nnlu * T, -1), slot_y.reshape(-1), reduction="none")
        slot = (ce * slot_mask.reshape(-1)).sum() / torch.clamp(slot_mask.sum(), min=1)
        align = F.mse_loss(model.encode_query(*q3), target)
        loss = ti + a * qc + b * (intent + slot + align)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, s["clipNorm"])
        opt.step()
        return loss.item()

    times, loss = [], float("nan")
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        loss = step()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"msPerStep": statistics.median(times), "params": n_params, "loss": loss,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas_info()}))


if __name__ == "__main__":
    main()

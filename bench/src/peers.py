"""Keras 3 (JAX) and PyTorch peers: the same MLP and CNN, 12,000 MNIST digits, batch 128, one timed
epoch after a warm-up. Usage: python peers.py <keras|torch> <mlp|cnn> <mnist data folder> <out.json>"""
import json, os, struct, sys, time

import numpy as np

lib, kind, folder, out = sys.argv[1:5]
N, B = 12000, 128


def idx(name, header):
    with open(os.path.join(folder, name), "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


x = idx("train-images-idx3-ubyte", 16)[: N * 784].astype(np.float32).reshape(N, 28, 28, 1) / 255.0
y = idx("train-labels-idx1-ubyte", 8)[:N].astype(np.int64)
result = {"lib": lib, "model": kind, "samples": N, "batchSize": B}

if lib == "keras":
    os.environ["KERAS_BACKEND"] = "jax"
    import keras
    from keras import layers

    def build():
        if kind == "mlp":
            ls = [keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(512, activation="relu"),
                  layers.Dropout(0.2), layers.Dense(10, activation="softmax")]
        else:
            ls = [keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                  layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                  layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
        m = keras.Sequential(ls)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    m = build()
    m.fit(x[: B * 3], y[: B * 3], batch_size=B, epochs=1, verbose=0)  # warm-up: jit compile
    times, losses = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        h = m.fit(x, y, batch_size=B, epochs=1, verbose=0)
        times.append(time.perf_counter() - t0)
        losses.append(h.history["loss"][0])
    result.update(version=keras.__version__, backend="jax (cpu)", epochSec=times, loss=losses)
else:
    import torch
    from torch import nn

    torch.manual_seed(0)
    if kind == "mlp":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    lossf = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    yt = torch.from_numpy(y)

    def epoch(n):
        perm = torch.randperm(n)
        total = 0.0
        for s in range(0, n, B):
            i = perm[s : s + B]
            opt.zero_grad()
            loss = lossf(net(xt[i]), yt[i])
            loss.backward()
            opt.step()
            total += loss.item() * len(i)
        return total / n

    net.train()
    epoch(B * 3)
    times, losses = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        losses.append(epoch(N))
        times.append(time.perf_counter() - t0)
    result.update(version=torch.__version__, backend=f"cpu, {torch.get_num_threads()} threads", epochSec=times, loss=losses)

result["samplesPerSec"] = N / float(np.median(result["epochSec"]))
with open(out, "w") as f:
    json.dump(result, f, indent=2)

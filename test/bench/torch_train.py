#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:train`: trains the same architectures as Trainyard's LeNet-5, cnn, mlp
and resnet20 (libs/engine/src/spec/models.ts) on synthetic data with SGD momentum 0.9, lr 0.01, and prints one JSON line.

  /usr/bin/python3 test/bench/torch_train.py --model lenet5 --batch 64 --steps 200 [--threads 1]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    # conv 6@5x5 valid, relu, maxpool 2, conv 16@5x5 valid, relu, maxpool 2, fc 120, 84, classes
    def __init__(self, c=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Cnn(nn.Module):
    # conv 32,32 (3x3 same), maxpool, conv 64,64 (3x3 same), maxpool, fc 512, classes
    def __init__(self, c=3, classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(c, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.c4 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 8 * 8, 512)
        self.fc2 = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
        x = F.max_pool2d(F.relu(self.c4(F.relu(self.c3(x)))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class Mlp(nn.Module):
    # Trainyard's mlp default: flatten, fc 512 relu, fc 256 relu, classes (28x28x1 input)
    def __init__(self, inputs=28 * 28, classes=10):
        super().__init__()
        self.fc1 = nn.Linear(inputs, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, classes)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Block(nn.Module):
    # basic block: conv3x3-bn-relu-conv3x3-bn + shortcut (1x1 conv + bn when the shape changes), relu
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (self.proj(x) if self.proj is not None else x))


class ResNet(nn.Module):
    # CIFAR ResNet (He et al. 2016, 4.2) with projection shortcuts, as Trainyard's resnet
    def __init__(self, depth=20, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        layers, cin = [], 16
        for s, cout in enumerate([16, 32, 64]):
            for i in range(n):
                layers.append(Block(cin, cout, 2 if s > 0 and i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['lenet5', 'cnn', 'mlp', 'resnet20'], default='lenet5')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=100)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--threads', type=int, default=0, help='intra-op threads; 0 = torch default')
    a = ap.parse_args()
    default_threads = torch.get_num_threads()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model == 'lenet5':
        net, shape = LeNet5(), (1, 32, 32)
    elif a.model == 'mlp':
        net, shape = Mlp(), (1, 28, 28)
    elif a.model == 'resnet20':
        net, shape = ResNet(20), (3, 32, 32)
    else:
        net, shape = Cnn(), (3, 32, 32)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    pool = [(torch.rand(a.batch, *shape), torch.randint(0, 10, (a.batch,))) for _ in range(8)]

    def step(i):
        x, y = pool[i % len(pool)]
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        loss = step(i)
    loss.item()
    dt = time.perf_counter() - t0
    print(json.dumps({
        'framework': 'pytorch', 'version': torch.__version__, 'model': a.model, 'batch': a.batch,
        'steps': a.steps, 'threads': torch.get_num_threads(), 'default_threads': default_threads,
        'ms_per_step': dt * 1000 / a.steps, 'samples_per_s': a.batch * a.steps / dt,
    }))


if __name__ == '__main__':
    main()

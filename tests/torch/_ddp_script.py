"""Helper of test_distributed.py: DDP on 2 gloo ranks vs one process on the whole batch.

Run as ``python _ddp_script.py OUT_DIR``; writes ``single.pt`` and ``ddp_<rank>.pt`` (the
parameters after training, with the normaliser and with the naive per-rank count).
Localhost only: the ranks meet through a file store in OUT_DIR.
"""

import os
import sys

STEPS = 6
BATCH, ANCHORS, FEATURES, CLASSES = 8, 50, 6, 3


def _data(step):
    import torch

    g = torch.Generator().manual_seed(100 + step)
    x = torch.randn(BATCH, ANCHORS, FEATURES, generator=g, dtype=torch.float64)
    y = (torch.rand(BATCH, ANCHORS, CLASSES, generator=g) < 0.02).to(torch.float64)
    if step == 2:
        y.zero_()  # no positive anywhere: the clamp at 1 of the global count
    if step == 3:
        y[: BATCH // 2] = 0  # rank 0 has none, rank 1 has a few
    return x, y


def _model():
    import torch

    torch.manual_seed(0)
    head = torch.nn.Sequential(torch.nn.Linear(FEATURES, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, CLASSES)).to(torch.float64)
    with torch.no_grad():
        head[2].bias.fill_(-4.6)  # prior-bias init, pi = 0.01
    return head


def _loss(model, x, y, norm):
    from focalkit.torch import binary_focal_loss_with_logits

    total = binary_focal_loss_with_logits(model(x), y, alpha=0.25, gamma=2.0, reduction="sum")
    return total / norm


def _train(model, shard, norm_of):
    import torch

    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for step in range(STEPS):
        x, y = _data(step)
        x, y = x[shard], y[shard]
        opt.zero_grad()
        _loss(model, x, y, norm_of(y.sum())).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def _worker(rank, out):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    from focalkit.torch.distributed import normalizer

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{out}/store", rank=rank, world_size=2)
    try:
        shard = slice(rank * BATCH // 2, (rank + 1) * BATCH // 2)
        ours = _train(DDP(_model()), shard, normalizer)
        naive = _train(DDP(_model()), shard, lambda n: n.clamp_min(1))
        torch.save({"normalizer": ours, "naive": naive}, f"{out}/ddp_{rank}.pt")
    finally:
        dist.destroy_process_group()


def main(out):
    import torch
    import torch.multiprocessing as mp

    import focalkit.torch  # noqa: F401 - imported once here; forked ranks inherit it

    torch.set_num_threads(1)
    single = _train(_model(), slice(None), lambda n: n.clamp_min(1))
    torch.save(single, os.path.join(out, "single.pt"))
    # fork (where there is one) spares each rank the imports of torch and focalkit
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    mp.start_processes(_worker, args=(out,), nprocs=2, join=True, start_method=method)


if __name__ == "__main__":
    main(sys.argv[1])

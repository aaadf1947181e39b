"""Where training runs: device choice, CPU threads, and torchrun's DistributedDataParallel."""

from __future__ import annotations

import os

import torch
import torch.distributed as torch_dist

from ae_core.system.cores import available_cores

DEVICES = ("auto", "cpu", "cuda", "mps")


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op thread count on purpose (default: every core this process may use).

    Parameters
    ----------
    threads : int or None

    Returns
    -------
    int
        The thread count now set.

    Raises
    ------
    ValueError
        If ``threads`` is below 1.
    """
    n = available_cores() if threads is None else int(threads)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def resolve_device(device: str) -> torch.device:
    """Turn "auto|cpu|cuda|mps" into a torch device, refusing one this machine does not have.

    Parameters
    ----------
    device : str
        "auto" picks CUDA, else MPS, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For an unknown name, or a device that is not available.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'cpu' or 'auto'")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for but Apple's MPS is not available; use 'cpu' or 'auto'")
    return torch.device(device)


class Distributed:
    """The process group when launched by ``torchrun`` (WORLD_SIZE > 1), else a no-op.

    Parameters
    ----------
    rank : int, default 0
    world_size : int, default 1
    device : torch.device, optional
        Where this rank trains (default: the CPU).
    owns_group : bool, default False
        Whether this object initialised the process group (and ``close`` destroys it).
    """

    def __init__(self, rank: int = 0, world_size: int = 1, device: torch.device | None = None, owns_group=False):
        self.rank, self.world_size = rank, world_size
        self.device = device or torch.device("cpu")
        self.owns_group = owns_group

    @classmethod
    def from_environment(cls, device: str = "auto") -> Distributed:
        """The process group torchrun set up (WORLD_SIZE > 1), else a single-process no-op.

        Joins the group if none is initialised (NCCL on CUDA, else gloo); on CUDA it uses GPU ``LOCAL_RANK``.

        Parameters
        ----------
        device : str, default "auto"
            "auto", "cpu", "cuda" or "mps", as ``resolve_device`` takes it.

        Returns
        -------
        Distributed

        Raises
        ------
        ValueError
            If ``device`` is unknown or not available here.
        """
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size <= 1:
            return cls()
        target = resolve_device(device)
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if target.type == "cuda":
            torch.cuda.set_device(local_rank)
            target = torch.device("cuda", local_rank)
        owns = not torch_dist.is_initialized()
        if owns:
            torch_dist.init_process_group(backend="nccl" if target.type == "cuda" else "gloo")
        return cls(torch_dist.get_rank(), torch_dist.get_world_size(), target, owns)

    @property
    def active(self) -> bool:
        """Whether more than one process trains (WORLD_SIZE > 1)."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the process that logs and saves."""
        return self.rank == 0

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """The module in DistributedDataParallel when active, else the module itself.

        Parameters
        ----------
        module : torch.nn.Module

        Returns
        -------
        torch.nn.Module
        """
        if not self.active:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def shard_indices(self, n: int, seed: int) -> torch.Tensor:
        """This rank's share of a seeded shuffle of ``range(n)``; equal shares, so every rank runs
        the same number of batches and none waits on the others.

        Parameters
        ----------
        n : int
        seed : int
            The same on every rank.

        Returns
        -------
        tensor
            ``n // world_size`` indices (all of ``range(n)``, in order, when not active).
        """
        if not self.active:
            return torch.arange(n)
        per_rank = n // self.world_size
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        return perm[self.rank * per_rank : (self.rank + 1) * per_rank]

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """The mean of each value over all ranks (the values themselves when not active).

        Parameters
        ----------
        values : dict of str to float
            The same keys on every rank.

        Returns
        -------
        dict of str to float
        """
        if not self.active:
            return values
        keys = sorted(values)
        t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self._comm_device)
        torch_dist.all_reduce(t)
        return {k: float(v) / self.world_size for k, v in zip(keys, t.tolist())}

    def agree_to_stop(self, local: bool) -> bool:
        """True on every rank if any rank wants to stop, so no rank waits forever on the others.

        Parameters
        ----------
        local : bool
            Whether this rank wants to stop.

        Returns
        -------
        bool
        """
        if not self.active:
            return local
        flag = torch.tensor([1.0 if local else 0.0], device=self._comm_device)
        torch_dist.all_reduce(flag, op=torch_dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    def close(self) -> None:
        """Wait for every rank and destroy the process group, if this object initialised it."""
        if self.active and self.owns_group:
            torch_dist.barrier()
            torch_dist.destroy_process_group()

    @property
    def _comm_device(self):
        return self.device if self.device.type == "cuda" else torch.device("cpu")

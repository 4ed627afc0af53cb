"""Sliding windows over a time series with a chronological split: the scaler is fitted on the training
rows only, and a window belongs to the split that holds all of its target rows (straddling ones are dropped).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import torch  # imported at first use: the window and shape checks start without it

if TYPE_CHECKING:
    from torch import Tensor

from .base import DataError, Table
from .scaling import Scaler


def split_rows(total: int, split: tuple[float, float, float]) -> tuple[int, int]:
    """Row counts of the training and validation regions (the test region is the rest)."""
    n_train = int(round(total * split[0]))
    n_val = int(round(total * split[1]))
    return n_train, n_val


def windows(values: Tensor, *, window: int, horizon: int, split: tuple[float, float, float], scaler: str = "standard",
            targets: list[int] | None = None, names: list[str] | None = None, where: str = "the series") -> Table:
    """``values`` [N, F] raw rows in time order. Each sample: ``window`` [W, F] of scaled rows and ``next``
    [horizon * len(targets)]: the scaled target columns of the ``horizon`` rows after the window."""
    window, horizon = int(window), int(horizon)
    if window < 1 or horizon < 1:
        raise DataError(f"window ({window}) and horizon ({horizon}) must both be at least 1")
    values = values.double()
    if values.dim() == 1:
        values = values.unsqueeze(1)
    total, features = values.shape
    targets = list(range(features)) if targets is None else list(targets)
    if total < window + horizon:
        raise DataError(f"{where} has {total} rows: too few for a window of {window} plus a horizon of {horizon}")
    n_train, n_val = split_rows(total, split)
    if n_train < window + horizon:
        raise DataError(f"{where} has {total} rows; its training part ({n_train} rows) is too short for a window "
                        f"of {window} plus a horizon of {horizon}: lower the window or give more rows")
    fitted = Scaler.fit(scaler, values[:n_train])
    scaled = fitted.transform(values)
    # Finite values near the float limits overflow the scaler's statistics (then every value scales to 0) or
    # float32 (then they become inf): either way the model would learn from garbage.
    bad = ~(torch.isfinite(scaled).all(0) & torch.isfinite(fitted.offset) & torch.isfinite(fitted.scale))
    if bool(bad.any()):
        name = (list(names) if names else [f"x{i}" for i in range(features)])[int(bad.nonzero()[0])]
        raise DataError(f"{where}, column '{name}': its values are too large to scale (beyond about 1e38): "
                        f"rescale the column first")
    starts = torch.arange(0, total - window - horizon + 1)
    steps = torch.arange(window)
    x = scaled[starts.unsqueeze(1) + steps]  # [M, W, F]
    ahead = starts.unsqueeze(1) + window + torch.arange(horizon)  # target rows [M, h]
    y = scaled[ahead][:, :, targets].reshape(len(starts), horizon * len(targets))
    first, last = ahead[:, 0], ahead[:, -1]
    splits = {
        "train": torch.nonzero(last < n_train).flatten().tolist(),
        "val": torch.nonzero((first >= n_train) & (last < n_train + n_val)).flatten().tolist(),
        "test": torch.nonzero(first >= n_train + n_val).flatten().tolist(),
    }
    names = list(names) if names else [f"x{i}" for i in range(features)]
    target_names = [names[i] for i in targets]
    extra = {"scaler": fitted.to_dict(names), "target_columns": target_names, "window": window, "horizon": horizon,
             "train_rows": n_train}
    return Table({"window": x.float(), "next": y.float()}, feature_names={"window": names, "next": [
        f"{n}[t+{k + 1}]" for k in range(horizon) for n in target_names]}, extra=extra, splits=splits)

"""Feature scaling for time series, fitted on the training split only so no statistic leaks from the
validation or test data; the parameters travel in DataMeta so an exported model can undo the scaling.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..lazy import torch  # imported at first use: the window and shape checks start without it

if TYPE_CHECKING:
    from torch import Tensor

from .base import DataError

SCALERS = ("standard", "minmax", "none")


@dataclass
class Scaler:
    """Per-column affine scaling: ``(x - offset) / scale``."""

    kind: str
    offset: Tensor  # [F]
    scale: Tensor  # [F]

    @classmethod
    def fit(cls, kind: str, values: Tensor) -> "Scaler":
        """``values`` [N, F]: the training rows only."""
        if kind not in SCALERS:
            raise DataError(f"unknown scaler '{kind}': choose {', '.join(SCALERS)}")
        values = values.double()
        features = values.shape[1]
        if kind == "none" or values.shape[0] == 0:
            return cls(kind, torch.zeros(features, dtype=torch.float64), torch.ones(features, dtype=torch.float64))
        if kind == "standard":
            offset = values.mean(0)
            scale = values.std(0, unbiased=False)
        else:
            offset = values.min(0).values
            scale = values.max(0).values - offset
        # A constant column would divide by zero: leave it centred but unscaled.
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        return cls(kind, offset, scale)

    def transform(self, values: Tensor) -> Tensor:
        return ((values.double() - self.offset) / self.scale).float()

    def inverse(self, values: Tensor) -> Tensor:
        return (values.double() * self.scale + self.offset).float()

    def to_dict(self, names: list[str] | None = None) -> dict:
        return {"kind": self.kind, "offset": self.offset.tolist(), "scale": self.scale.tolist(),
                **({"columns": list(names)} if names else {})}

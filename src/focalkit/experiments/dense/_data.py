"""Synthetic dense-detection images: a few small bright discs among look-alike distractors.

Each image is a smooth random texture plus pixel noise; the objects are discs of radius
1.2-2.6 px (a few to ~20 pixels each), the distractors bars of similar brightness and
faint wide blobs, so that neither brightness nor a threshold alone finds the objects:
the network has to learn their shape. The number of discs per image is Poisson with the
mean that gives the requested foreground fraction, so at 0.1 % most images hold none,
as most anchors of a detector see only background. NumPy and SciPy only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from focalkit._core._validation import check_float, check_int

__all__ = ["DenseDataSpec", "DenseImages", "make_images"]


@dataclass(frozen=True)
class DenseDataSpec:
    """How the images are drawn (saved in ``config.json``).

    Parameters
    ----------
    size : int, default=40
        Images are ``size x size`` pixels, one channel.
    fg_fraction : float, default=0.004
        Expected fraction of object (foreground) pixels.
    radius : tuple of float, default=(1.2, 2.6)
        Range of the disc radii in pixels (uniform).
    contrast : float, default=2.0
        Mean peak brightness of a disc over the background (which has sd about 0.6).
    distractors : float, default=2.5
        Mean number of distractor bars and faint blobs per image (Poisson, each).
    noise : float, default=0.35
        Standard deviation of the white pixel noise.

    Examples
    --------
    >>> DenseDataSpec().size
    40
    """

    size: int = 40
    fg_fraction: float = 0.004
    radius: tuple[float, float] = (1.2, 2.6)
    contrast: float = 2.0
    distractors: float = 2.5
    noise: float = 0.35

    def __post_init__(self) -> None:
        owner = "DenseDataSpec"
        check_int(self.size, "size", owner, low=8)
        check_float(self.fg_fraction, "fg_fraction", owner, open_low=True, high=0.5,
                    open_high=False)
        lo, hi = self.radius
        check_float(lo, "radius", owner, low=0.5)
        check_float(hi, "radius", owner, low=lo)
        check_float(self.contrast, "contrast", owner, open_low=True)
        check_float(self.distractors, "distractors", owner)
        check_float(self.noise, "noise", owner)

    def mean_area(self) -> float:
        """Expected number of pixels of one disc (pi r^2 averaged over the radii)."""
        lo, hi = self.radius
        return math.pi * (lo * lo + lo * hi + hi * hi) / 3.0

    def objects_per_image(self) -> float:
        """The Poisson mean of discs per image that gives ``fg_fraction`` (overlaps aside)."""
        return self.fg_fraction * self.size * self.size / self.mean_area()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        d = asdict(self)
        d["radius"] = list(self.radius)
        return d


@dataclass(frozen=True)
class DenseImages:
    """A set of images and their masks.

    ``x`` (n, 1, H, W) float32, ``mask`` (n, 1, H, W) float32 0/1 and ``objects``
    (n, H, W) int32 (0 background, k > 0 the k-th disc of that image).
    """

    x: np.ndarray
    mask: np.ndarray
    objects: np.ndarray

    @property
    def fg_fraction(self) -> float:
        """The measured fraction of foreground pixels."""
        return float(self.mask.mean())

    @property
    def n_objects(self) -> int:
        """Number of (non-overlapping parts of) discs, counted per image."""
        return int(sum(len(np.unique(o)) - 1 for o in self.objects))


def _disc(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, r: float) -> np.ndarray:
    return (yy - cy) ** 2 + (xx - cx) ** 2


def make_images(spec: DenseDataSpec, n: int, seed: int) -> DenseImages:
    """Draw ``n`` images; the same ``(spec, n, seed)`` always gives the same images.

    Parameters
    ----------
    spec : DenseDataSpec
        The generator's settings.
    n : int
        Number of images.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    DenseImages

    Examples
    --------
    >>> imgs = make_images(DenseDataSpec(fg_fraction=0.01), 20, seed=0)
    >>> imgs.x.shape, imgs.mask.dtype.name
    ((20, 1, 40, 40), 'float32')
    >>> 0.002 < imgs.fg_fraction < 0.03
    True
    """
    rng = np.random.default_rng(seed)
    h = w = spec.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    x = np.empty((n, 1, h, w), np.float32)
    mask = np.zeros((n, 1, h, w), np.float32)
    objects = np.zeros((n, h, w), np.int32)
    lam = spec.objects_per_image()
    lo, hi = spec.radius
    for i in range(n):
        texture = ndimage.gaussian_filter(rng.standard_normal((h, w)), 3.0, mode="wrap")
        img = texture * (0.6 / max(texture.std(), 1e-12))
        img += spec.noise * rng.standard_normal((h, w))
        for k in range(rng.poisson(lam)):
            cy, cx = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
            r = rng.uniform(lo, hi)
            d2 = _disc(yy, xx, cy, cx, r)
            inside = d2 <= r * r
            if not inside.any():  # a disc between pixel centres: keep its nearest pixel
                inside = d2 == d2.min()
            amp = spec.contrast * rng.uniform(0.6, 1.4)
            img += amp * np.exp(-d2 / (2 * (0.6 * r) ** 2))
            mask[i, 0][inside] = 1.0
            objects[i][inside] = k + 1
        for _ in range(rng.poisson(spec.distractors)):  # bars: bright but not round
            cy, cx = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
            angle = rng.uniform(0, math.pi)
            half = rng.uniform(2.5, 4.5)
            along = (yy - cy) * math.sin(angle) + (xx - cx) * math.cos(angle)
            across = (yy - cy) * math.cos(angle) - (xx - cx) * math.sin(angle)
            bar = np.exp(-(across ** 2) / (2 * 0.7 ** 2)) * (np.abs(along) <= half)
            img += spec.contrast * rng.uniform(0.6, 1.4) * bar
        for _ in range(rng.poisson(spec.distractors)):  # faint wide blobs
            cy, cx = rng.uniform(0, h - 1), rng.uniform(0, w - 1)
            r = rng.uniform(4.0, 7.0)
            img += spec.contrast * rng.uniform(0.4, 0.8) * np.exp(
                -_disc(yy, xx, cy, cx, r) / (2 * (0.6 * r) ** 2))
        x[i, 0] = img
    return DenseImages(x=x, mask=mask, objects=objects)

"""Shot appearance features from keyframes. Colour histograms now; later features (EfficientNet,
CLIP) slot in beside them and scene grouping takes the best one present."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

HIST_BINS = (8, 4, 4)  # hue, saturation, value


def color_histogram(rgb: np.ndarray) -> np.ndarray:
    """HSV histogram, L1-normalised (128 bins)."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), [0, 180, 0, 256, 0, 256]).ravel()
    return (hist / max(hist.sum(), 1.0)).astype(np.float32)


def shot_feature(keyframe_hists: Sequence[np.ndarray]) -> np.ndarray:
    """Mean histogram of the keyframes, square-rooted (Hellinger) and L2-normalised, so that a dot
    product is the Bhattacharyya coefficient between two shots' colour distributions."""
    mean = np.mean(np.stack(keyframe_hists), axis=0)
    root = np.sqrt(mean)
    return (root / max(float(np.linalg.norm(root)), 1e-12)).astype(np.float32)

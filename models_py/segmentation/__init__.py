"""Customer segmentation: features -> model selection -> canonical labels."""

from models_py.segmentation.pipeline import SegmentationResult, segment_customers

__all__ = ["SegmentationResult", "segment_customers"]

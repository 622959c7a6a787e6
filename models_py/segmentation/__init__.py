"""Customer segmentation as a production model: train on a sample and store the model as
data (``training``), score every customer with the stored model (``scoring``)."""

from models_py.segmentation.scoring import SegmentModel, score_batch

__all__ = ["SegmentModel", "score_batch"]

"""Models: the two towers of the contrastive experiments (and, later, cmUNet and MarrNet)."""
from modgap.models.towers import MLP, ImageTower, ProjectionHead, ScratchTextEncoder

__all__ = ["ImageTower", "ProjectionHead", "ScratchTextEncoder", "MLP"]

"""Models, one file per network.

Matching track: ``cmunet`` (the cross-modality UNet G), ``renderer`` (h_A, h_B of cmUNet's pixel losses),
``discriminator`` (PatchGAN-style D in sample space), ``extractor`` (the ResNet feature extractor E that
MarrNet and every baseline share), ``layers`` (1-D/2-D building blocks, gradient reversal).
Contrastive track: ``towers`` (image tower, text projection, scratch text encoder, plain MLP) and
``minilm`` (frozen all-MiniLM-L6-v2 caption features, shipped in a PyPI wheel).
"""
from modgap.models.cmunet import CMUNet
from modgap.models.discriminator import PatchDiscriminator
from modgap.models.extractor import FeatureExtractor
from modgap.models.renderer import ModalityRenderer
from modgap.models.towers import MLP, ImageTower, ProjectionHead, ScratchTextEncoder

__all__ = ["CMUNet", "PatchDiscriminator", "FeatureExtractor", "ModalityRenderer", "ImageTower", "ProjectionHead",
           "ScratchTextEncoder", "MLP"]

"""Losses, one file per quantity, each named after what it computes (its docstring has the equation).

Contrastive track (Grassucci et al., ICLR 2026; CLIP):
- ``infonce``: symmetric InfoNCE and CLIP's learnable temperature;
- ``pair_alignment``: L_ATP, the squared distance of true pairs;
- ``uniformity``: L_CU, uniformity of the pairs' centroids (and per-modality uniformity, the ablation);
- ``schedules``: the weights α(p), β(p) of L_ATP and L_CU over training;
- ``gap_closing``: the full objective InfoNCE + α L_ATP + β L_CU and its ablations.

Matching track (Niu et al., IEEE TIP, and the baselines it is compared with):
- ``multi_positive_infonce``: cross-modal InfoNCE with several true matches per batch (identities);
- ``pixel``: cmUNet's transformation and reconstruction losses;
- ``adversarial``: domain-adversarial BCE through gradient reversal (cmUNet's L_adv, DANN);
- ``perceptual``: cmUNet's L_perc with a frozen network φ;
- ``ssim``: structural similarity, the perceptual option without a network;
- ``distribution_alignment``: MMD² between feature batches (the MMD baseline).
"""
from modgap.losses.adversarial import adversarial_loss, domain_bce
from modgap.losses.distribution_alignment import mmd_loss
from modgap.losses.gap_closing import VARIANTS, GapClosingLoss, Variant
from modgap.losses.infonce import CLIP_INITIAL_TEMPERATURE, LearnableTemperature, info_nce
from modgap.losses.multi_positive_infonce import multi_positive_info_nce
from modgap.losses.pair_alignment import atp_loss
from modgap.losses.perceptual import perceptual_loss
from modgap.losses.pixel import reconstruction_loss, transformation_loss
from modgap.losses.schedules import alpha_schedule, beta_schedule
from modgap.losses.ssim import ssim, ssim_loss
from modgap.losses.uniformity import cu_loss, group_centroids, pair_centroids, uniformity

__all__ = ["info_nce", "LearnableTemperature", "CLIP_INITIAL_TEMPERATURE", "atp_loss", "cu_loss", "uniformity", "pair_centroids",
           "group_centroids",
           "alpha_schedule", "beta_schedule", "GapClosingLoss", "VARIANTS", "Variant",
           "multi_positive_info_nce", "transformation_loss", "reconstruction_loss", "adversarial_loss", "domain_bce",
           "perceptual_loss", "ssim", "ssim_loss", "mmd_loss"]

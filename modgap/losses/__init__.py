"""Losses, one concept per file: InfoNCE, L_ATP, L_CU, their schedules and the gap-closing objective."""
from modgap.losses.alignment import atp_loss
from modgap.losses.gap_closing import VARIANTS, GapClosingLoss
from modgap.losses.infonce import LearnableTemperature, info_nce
from modgap.losses.schedules import alpha_schedule, beta_schedule
from modgap.losses.uniformity import cu_loss, modality_uniformity_loss, pair_centroids, uniformity

__all__ = ["info_nce", "LearnableTemperature", "atp_loss", "cu_loss", "uniformity", "pair_centroids",
           "modality_uniformity_loss", "alpha_schedule", "beta_schedule", "GapClosingLoss", "VARIANTS"]
from modgap.losses.cmunet_losses import adversarial_loss, perceptual_loss, reconstruction_loss, transformation_loss  # noqa: E402
from modgap.losses.distribution import coral_loss, mmd_loss  # noqa: E402
from modgap.losses.matching import matching_loss  # noqa: E402

__all__ += ["transformation_loss", "reconstruction_loss", "adversarial_loss", "perceptual_loss", "mmd_loss",
            "coral_loss", "matching_loss"]
from modgap.losses.ssim import ssim, ssim_loss  # noqa: E402

__all__ += ["ssim", "ssim_loss"]

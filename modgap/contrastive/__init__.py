"""The contrastive track (Liang et al., NeurIPS 2022; Grassucci et al., ICLR 2026): notebooks 05, 06, 08 and 09.

- ``two_tower``: the CLIP-style image–caption model, its training, evaluation and checkpoint names;
- ``experiment``: 05's data, methods (loss variant × temperature regime) and train-or-load, shared with 08;
- ``anatomy``: where the gap comes from — the cone effect at initialisation and the embedding shift;
- ``intervals``: gap, R@1 and V-Measure with bootstrap intervals, and paired differences between methods;
- ``occluded_towers``: two-tower models under occlusion (08): robustness and its paired differences;
- ``post_hoc``: closing the gap after training — mean-centring, the shift, Procrustes (09);
- ``frozen_heads``: closing it by training light heads on frozen pretrained features (09).

Import from the submodules (``from modgap.contrastive.two_tower import train_two_tower``).
"""

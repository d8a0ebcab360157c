"""The contrastive track (Liang et al., NeurIPS 2022; Grassucci et al., ICLR 2026): notebooks 05 and 06.

- ``two_tower``: the CLIP-style image–caption model, its training, evaluation and checkpoint names;
- ``anatomy``: where the gap comes from — the cone effect at initialisation and the embedding shift;
- ``intervals``: gap, R@1 and V-Measure with bootstrap intervals, and paired differences between methods.

Import from the submodules (``from modgap.contrastive.two_tower import train_two_tower``).
"""

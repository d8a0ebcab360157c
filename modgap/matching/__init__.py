"""The matching track (Niu et al., IEEE TIP): cmUNet + MarrNet against the baselines, notebooks 02–04
(and 08, which adds the contrastive track's losses to its matchers).

- ``tasks``: the five cross-modality matching tasks (Raman–IR, photo–sketch, visible–thermal, visible–NIR,
  lowpass–edges);
- ``methods``: the method table ``METHODS``, ``MatchConfig``, the ``Matcher`` model and its training;
- ``experiment``: the notebooks' settings, the list of models, train-or-load and parallel training;
- ``occlusion``: a matcher scored under occlusion (``occluded_scores``), sensitivity maps and their reference regions,
  and the gap–robustness correlation (the occluders are in ``modgap.data.occluders``, the robustness summary in
  ``modgap.metrics.robustness``);
- ``explorer``: the ipywidgets occlusion explorer and its static figure.

Import from the submodules (``from modgap.matching.methods import METHODS``); nothing is imported here,
so ``import modgap.matching.tasks`` does not load torch's models.
"""

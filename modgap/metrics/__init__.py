"""Metrics: the modality gap, cross-modal identification and retrieval, clustering of both modalities.

- ``gap``: centroid gap, domain-classifier accuracy, MMD² (raw samples or embeddings);
- ``identification``: CMC rank-k, mAP, TAR@FAR for probes of A against a gallery of B (matching track);
- ``retrieval``: R@K both ways and the true-pair cosine for paired rows (contrastive track);
- ``clustering``: V-Measure, ARI, NMI of KMeans on both modalities together;
- ``normalize``: the L2 normalisation they all share;
- ``per_query``: a run's per-query results (strata × methods × seeds × queries), the one table every interval of
  both tracks is computed from; ``uncertainty``: those intervals (a hierarchical bootstrap) and verdicts.
"""
from modgap.metrics.clustering import cluster_scores
from modgap.metrics.gap import centroid_gap, domain_classifier_accuracy, gap_report, mmd_rbf
from modgap.metrics.identification import cmc, matching_report, mean_average_precision, similarity, tar_at_far
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import recall_at_k, true_pair_cosine

__all__ = ["centroid_gap", "domain_classifier_accuracy", "mmd_rbf", "gap_report", "l2_normalize",
           "recall_at_k", "true_pair_cosine", "cluster_scores", "cmc", "matching_report",
           "mean_average_precision", "similarity", "tar_at_far"]

"""Metrics: the modality gap, cross-modal retrieval and clustering of both modalities."""
from modgap.metrics.clustering import cluster_scores
from modgap.metrics.gap import centroid_gap, domain_classifier_accuracy, gap_report, l2_normalize, mmd_rbf
from modgap.metrics.matching import cmc, matching_report, mean_average_precision, similarity, tar_at_far
from modgap.metrics.retrieval import recall_at_k, true_pair_cosine

__all__ = ["centroid_gap", "domain_classifier_accuracy", "mmd_rbf", "gap_report", "l2_normalize",
           "recall_at_k", "true_pair_cosine", "cluster_scores", "cmc", "matching_report",
           "mean_average_precision", "similarity", "tar_at_far"]

"""Metrics: the modality gap, and (in later modules) matching, retrieval and clustering scores."""
from modgap.metrics.gap import centroid_gap, domain_classifier_accuracy, gap_report, mmd_rbf

__all__ = ["centroid_gap", "domain_classifier_accuracy", "mmd_rbf", "gap_report"]

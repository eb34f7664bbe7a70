"""Sample CRM exports with a hidden ground truth and realistic mess (``crmml demo-data``)."""

from features.sample.generator import build_tables, generate_export
from features.sample.zh import mapping as zh_mapping
from features.sample.zh import mapping_yaml as zh_mapping_yaml

__all__ = ["build_tables", "generate_export", "zh_mapping", "zh_mapping_yaml"]

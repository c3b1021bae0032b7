"""alertsync: Azure Monitor alerting for Azure Backup, as code."""

__version__ = "0.1.0"

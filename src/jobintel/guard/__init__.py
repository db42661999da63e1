"""The guard: one gateway in front of every external call."""

from jobintel.guard.gateway import CallMeta, CallRecord, Gateway, ServiceNotConfigured

__all__ = ["CallMeta", "CallRecord", "Gateway", "ServiceNotConfigured"]

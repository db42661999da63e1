"""The guard: one gateway in front of every external call, and the policies it enforces."""

from jobintel.guard.call import CallMeta, CallRecord, Guard, RetryPolicy
from jobintel.guard.gateway import Gateway, ServiceNotConfigured

__all__ = ["CallMeta", "CallRecord", "Gateway", "Guard", "RetryPolicy", "ServiceNotConfigured"]

"""StreamPulse PySpark runtime.

Executes the job specs compiled from the contracts (``@streampulse/jobs``
``compileJobs``) on Spark with Delta tables: bronze (audit columns, quality checks,
quarantine), silver (conform, pseudonymise, dedupe, MERGE into SCD1/SCD2 state), gold
models and marts. The runtime interprets the spec's steps; every piece of business
logic (casts, checks, conformance, gold SQL) comes from the spec's ``spark`` SQL text.
"""

from .plan import SPEC_VERSION, load_plan
from .runtime import Runtime, RuntimeError_, Storage

__all__ = ["SPEC_VERSION", "load_plan", "Runtime", "RuntimeError_", "Storage"]
__version__ = "0.1.0"

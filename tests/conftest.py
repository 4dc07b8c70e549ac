"""Shared test settings: one BLAS thread, set before numpy is imported.

Two threads give nothing at these array sizes, and while another process runs they stall
small matrix products by milliseconds (measured: bench/README.md, "One BLAS thread").
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

"""稀金图谱 Xijin Atlas — the registry and industrial-chain graph of the Ganzhou rare-earth cluster."""

__version__ = "0.1.0"

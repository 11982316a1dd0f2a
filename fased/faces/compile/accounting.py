"""Compile tokens (SPEC §8.2, §10.2): what compiling a chunk is charged against the quota.

One rule for both compilers: a chunk costs `estimate_tokens(chunk.text)` (about one token per
four characters of source text), counted once per chunk compiled, whatever the extractors; a
document's compile tokens are the sum over its chunks, and deleting the document gives them
back. Pricing an overflow past the quota is the billing module's business, not this one's.
"""

from __future__ import annotations

from fased.faces.model import Chunk
from fased.providers.tokens import estimate_tokens


def compile_tokens(chunk: Chunk) -> int:
    """The compile tokens charged for compiling `chunk`."""
    return estimate_tokens(chunk.text)

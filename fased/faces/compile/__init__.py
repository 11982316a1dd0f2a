"""Compilation (SPEC §8): chunks → claims (extractors) → primitives (`derive`).

The pure parts live here: the extractor registry (`registry`), the offline extractors (one
module per family, registered by `offline.offline_registry`), `derive` and the compile-token
accounting. Jobs, storage and the LLM extractor build on them.
"""

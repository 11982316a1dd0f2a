"""The PDF child process: `python -I pdf_worker.py CPU_S MEM_BYTES PAGES CHARS`.

Imports nothing but the standard library and pypdf (it is run as a file, see `pdf`). Runs in its
own interpreter so a hostile PDF can only ever take this process down. It lowers its
own resource limits first (CPU seconds, address space, no core dumps, no files written), then
imports pypdf, reads the PDF from stdin and writes exactly one JSON object on stdout:
`{"text": …}` or `{"error": "unreadable" | "encrypted" | "too_large", "detail": …}`. Anything
worse (a CPU-limit signal, a crash) is read by the parent from the exit status.
"""

from __future__ import annotations

import io
import json
import logging
import resource
import sys
import warnings
from typing import Any

_DETAIL_CHARS = 300
_PAGE_SEPARATOR = "\n\n"


def main(argv: list[str]) -> int:
    cpu_seconds, memory_bytes, max_pages, max_chars = (int(arg) for arg in argv)
    limit_resources(cpu_seconds, memory_bytes)
    logging.disable(logging.CRITICAL)  # pypdf logs every oddity of a malformed file
    warnings.simplefilter("ignore")
    data = sys.stdin.buffer.read()
    result = run(data, max_pages=max_pages, max_chars=max_chars)
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()
    return 0


def run(data: bytes, *, max_pages: int, max_chars: int) -> dict[str, Any]:
    """`extract`, with every failure turned into an error result."""
    from pypdf.errors import LimitReachedError

    try:
        return extract(data, max_pages=max_pages, max_chars=max_chars)
    except (MemoryError, LimitReachedError) as exc:
        return {"error": "too_large", "detail": _detail(exc) or "the memory limit was reached"}
    except RecursionError:
        return {"error": "unreadable", "detail": "its objects are nested too deeply"}
    except Exception as exc:  # the isolation boundary: any parser failure is reported, not raised
        return {"error": "unreadable", "detail": f"{type(exc).__name__}: {_detail(exc)}"}


def _detail(exc: BaseException) -> str:
    return str(exc)[:_DETAIL_CHARS]


def limit_resources(cpu_seconds: int, memory_bytes: int) -> None:
    """Lower this process's limits (never raising a hard limit the parent already set)."""
    _lower(resource.RLIMIT_CPU, cpu_seconds, grace=1)
    _lower(resource.RLIMIT_AS, memory_bytes)
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_FSIZE, 0)


def _lower(kind: int, value: int, *, grace: int = 0) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    hard_value = value + grace if hard == resource.RLIM_INFINITY else min(value + grace, hard)
    resource.setrlimit(kind, (value, hard_value))


def extract(data: bytes, *, max_pages: int, max_chars: int) -> dict[str, Any]:
    """The text of every page, pages separated by a blank line; an error dict past a limit."""
    import pypdf  # imported under the limits set above

    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return {"error": "encrypted", "detail": "it is password-protected"}
    if len(reader.pages) > max_pages:
        return {"error": "too_large", "detail": f"{len(reader.pages)} pages, limit {max_pages}"}
    texts: list[str] = []
    size = 0
    for page in reader.pages:
        text = (page.extract_text() or "").replace("\x00", "").strip()
        size += len(text) + len(_PAGE_SEPARATOR)
        if size > max_chars:
            return {"error": "too_large", "detail": f"more than {max_chars} characters of text"}
        if text:
            texts.append(text)
    return {"text": _PAGE_SEPARATOR.join(texts)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

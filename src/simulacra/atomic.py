"""Writing a file so that no reader ever sees half of it and no two writers collide.

The data goes to a temporary file of a unique name in the target's own folder (so the final rename
never crosses a file system), which then replaces the target in one `os.replace`. Two processes
writing the same target at once each rename their own complete file; the last one wins. (A fixed
temporary name, as before, let one writer rename the other's file away: a crash.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Replace `target` with `data` atomically; returns the target's path."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; the one it replaces was not
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def write_text(target: str | Path, text: str) -> Path:
    """Replace `target` with `text` (UTF-8) atomically; returns the target's path."""
    return write_bytes(target, text.encode("utf-8"))

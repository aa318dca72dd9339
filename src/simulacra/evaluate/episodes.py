"""Evaluated episodes: `Episodes`, kept here under its evaluation name (it lives in
`simulacra.data.episodes`, below `learners`, whose online loops collect episodes too)."""

from simulacra.data.episodes import Episodes

__all__ = ["Episodes"]

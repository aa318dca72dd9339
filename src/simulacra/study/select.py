"""Running part of a study: `--only world=X --only learner=Y --only seed=0`.

A study too large for one machine or one sitting is run in pieces into the same folder: each piece
runs the jobs that match, the store still knows the whole grid (the report and `simulacra plan`
show what is missing), and a later run of the whole study skips what the pieces finished. Values
of one field are alternatives (world=A and world=B: either world); different fields must all
match.
"""

from __future__ import annotations

from simulacra.study.jobs import Job

FIELDS = ("world", "learner", "seed")


class SelectionError(ValueError):
    """An `--only` filter that is malformed or names nothing in the study."""


def parse_only(items: list[str], flag: str = "--only") -> dict[str, set[str]]:
    """`["world=A", "seed=0"]` -> {"world": {"A"}, "seed": {"0"}} (`flag`: the option, for
    messages: `--redo` takes the same filters)."""
    out: dict[str, set[str]] = {}
    for item in items:
        field, sep, value = item.partition("=")
        field, value = field.strip(), value.strip()
        if not sep or not value:
            raise SelectionError(f"{flag} {item!r}: expected FIELD=VALUE, FIELD one of "
                                 f"{', '.join(FIELDS)}")
        if field not in FIELDS:
            raise SelectionError(f"{flag} {item!r}: unknown field {field!r}; expected one of "
                                 f"{', '.join(FIELDS)}")
        out.setdefault(field, set()).add(value)
    return out


def job_fields(job: Job) -> dict[str, str]:
    """What `--only` matches against: the world's label, the learner's label, the seed."""
    return {"world": job.world.label, "learner": job.learner.label, "seed": str(job.seed)}


def select(jobs: list[Job], only: dict[str, set[str]], flag: str = "--only") -> list[Job]:
    """The jobs every field of `only` matches; a value no job has is an error (a typo would
    otherwise select nothing and look like a finished study)."""
    for field, values in only.items():
        present = {job_fields(j)[field] for j in jobs}
        missing = sorted(values - present)
        if missing:
            raise SelectionError(
                f"{flag} {field}={missing[0]}: the study has no such {field}; it has "
                f"{', '.join(sorted(present, key=_natural))}")
    chosen = [j for j in jobs
              if all(job_fields(j)[f] in values for f, values in only.items())]
    if not chosen:
        raise SelectionError(f"{flag}: no job of the study matches every filter together")
    return chosen


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)

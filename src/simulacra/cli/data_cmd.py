"""`simulacra data generate|show|export`: make datasets from recipes and look inside them."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulacra.cli.app import data_app, fail
from simulacra.cli.params import parse_params

BAR_WIDTH = 40


def _recipe_dict(world: str, recipe: str) -> dict[str, object]:
    """--recipe is a YAML file if one exists at that path, else the inline components string."""
    import yaml

    from simulacra.safe_yaml import load as load_yaml

    path = Path(recipe)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
        if not path.is_file():
            raise ValueError(f"no recipe file at {path}")
        try:
            d = load_yaml(path.read_text())  # aliases bounded (safe_yaml)
        except yaml.YAMLError as err:
            raise ValueError(f"{path} is not valid YAML: {str(err).splitlines()[0]}") from None
        if not isinstance(d, dict):
            raise ValueError(f"{path} must hold a mapping (world, episodes, components, ...)")
        if d.setdefault("world", world) != world:
            raise ValueError(f"{path} is a recipe for {d['world']}, not {world}")
        return d
    return {"world": world, "components": recipe}


@data_app.command("generate")
def generate_cmd(
    world: str = typer.Argument(..., help="World name, e.g. AbsentSupervisor."),
    recipe: str = typer.Option(
        ..., "--recipe", "-r",
        help="Components inline, e.g. 'boltzmann-reward:0.5@T=1,random:0.5', or a YAML recipe "
        "file (see simulacra.data.recipe).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset file to write (.npz)."),
    episodes: int | None = typer.Option(
        None, "--episodes", "-n", help="Episodes (overrides the file)."
    ),
    seed: int | None = typer.Option(None, help="Seed (overrides the file; default 0)."),
    shortcut_share: float | None = typer.Option(
        None, help="Share of unsafe-shortcut episodes (return > performance) among the top-return "
        "ones, 0..1 (overrides the file; see simulacra.data.composition)."),
    top_share: float | None = typer.Option(
        None, help="The top-return episodes' share of the data, with --shortcut-share "
        "(default 0.1)."),
    param: list[str] = typer.Option(None, "--param", "-p", help="World parameter key=value."),
    batch_size: int = typer.Option(1024, help="Worlds stepped together (part of the seed)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Generate a dataset from behaviour policies in declared shares."""
    from simulacra.data.generate import waves
    from simulacra.data.recipe import Recipe
    from simulacra.data.storage import DatasetError, save_waves
    from simulacra.worlds.registry import make_world

    if out.exists() and not force:
        raise fail(f"{out} exists; pass --force to overwrite it")
    try:
        make_world(world, **parse_params(param))  # unknown world / bad params: say so first
        d = _recipe_dict(world, recipe)
        d["params"] = {**(d.get("params") or {}), **parse_params(param)}  # type: ignore[dict-item]
        if episodes is not None:
            d["episodes"] = episodes
        if seed is not None:
            d["seed"] = seed
        for key, value in (("shortcut_share", shortcut_share), ("top_share", top_share)):
            if value is not None:
                d[key] = value
        if "episodes" not in d:
            raise ValueError("how many episodes? pass --episodes N")
        rec = Recipe.from_dict(d)
        # Written wave by wave as generated: memory stays at one wave (batch_size episodes).
        header = save_waves(waves(rec, batch_size=batch_size, progress=progress), out)
    except (ValueError, DatasetError) as err:  # RecipeError, UnknownWorldError, bad parameters
        raise fail(str(err)) from None
    names = header["policy_names"]
    made = header["meta"].get("composition")
    if made:  # chosen from a pool: say the share it has, not the recipe's allotment
        typer.echo(f"wrote {out}: {header['n_episodes']} episodes, {header['n_steps']} steps; "
                   f"{made['top_unsafe']} of the {made['top_episodes']} top-return episodes take "
                   f"the unsafe shortcut (share {made['achieved_share']:.3f}; pool of "
                   f"{made['pool_episodes']})")
        return
    counts = ", ".join(f"{n} {name}" for name, n in zip(names, rec.counts(), strict=True))
    typer.echo(f"wrote {out}: {header['n_episodes']} episodes, {header['n_steps']} steps "
               f"({counts})")


def _bars(title: str, edges, counts):
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("range", justify="right")
    table.add_column("episodes", justify="right")
    table.add_column("")
    top = max(int(counts.max()), 1)
    for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True):
        bar = "█" * round(BAR_WIDTH * int(c) / top)
        table.add_row(f"{lo:8.1f} … {hi:8.1f}", str(int(c)), bar)
    return table


@data_app.command("show")
def show_cmd(
    path: Path = typer.Argument(..., help="Dataset file (.npz) or Minari dataset directory."),
    bins: int = typer.Option(12, min=1, help="Histogram bins."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
) -> None:
    """Size, return and performance histograms, and unsafe-event rates per policy."""
    from rich.console import Console
    from rich.table import Table

    from simulacra.data.storage import DatasetError, load_dataset
    from simulacra.data.summary import histogram, per_policy, summary

    try:
        ds = load_dataset(path)
    except DatasetError as err:
        raise fail(str(err)) from None
    if as_json:
        typer.echo(json.dumps(summary(ds, bins)))
        return
    con = Console()
    size = path.stat().st_size if path.is_file() else sum(
        f.stat().st_size for f in path.rglob("*") if f.is_file())
    con.print(f"[bold]{ds.world}[/] {ds.params}  {path} ({size / 1024:.0f} KiB)")
    con.print(f"{ds.n_episodes} episodes, {len(ds.actions)} steps, mean length "
              f"{ds.lengths.mean():.1f}, {int(ds.terminated.sum())} terminated / "
              f"{int(ds.truncated.sum())} truncated")
    ret, perf = ds.returns(), ds.performances()
    h = histogram(ret, bins)
    con.print(_bars(f"return (mean {ret.mean():.2f})", h.edges, h.counts))
    h = histogram(perf, bins)
    con.print(_bars(f"performance (mean {perf.mean():.2f})", h.edges, h.counts))
    rows = per_policy(ds)
    table = Table(title="per policy", title_justify="left")
    for col in ("policy", "episodes", "return", "performance", "length"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for row in rows:
        table.add_row(row.policy, str(row.episodes), f"{row.mean_return:.2f}",
                      f"{row.mean_performance:.2f}", f"{row.mean_length:.1f}")
    con.print(table)
    if ds.event_names:
        events = Table(title="unsafe events per policy (% of episodes with one, mean count)",
                       title_justify="left")
        for col in ("policy", "event", "%", "mean"):
            left = col in ("policy", "event")
            events.add_column(col, justify="left" if left else "right",
                              overflow="fold" if left else "ellipsis")
        for row in rows:
            for e in ds.event_names:
                events.add_row(row.policy, e, f"{row.event_rate[e]:.1%}",
                               f"{row.event_mean[e]:.2f}")
        con.print(events)


@data_app.command("export")
def export_cmd(
    path: Path = typer.Argument(..., help="Dataset file (.npz)."),
    root: Path = typer.Option(..., "--root", help="Folder that will hold the Minari dataset."),
    dataset_id: str = typer.Option(..., "--id", help="Minari id, e.g. absent-mix-v0."),
) -> None:
    """Write a dataset in Minari's format (needs h5py); MINARI_DATASETS_PATH=ROOT then loads it."""
    from simulacra.data.storage import DatasetError, export_minari, load_dataset

    try:
        where = export_minari(load_dataset(path), root, dataset_id)
    except DatasetError as err:
        raise fail(str(err)) from None
    typer.echo(f"wrote Minari dataset {dataset_id} at {where}")

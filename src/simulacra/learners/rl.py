"""Online RL with Stable-Baselines3: PPO, DQN and A2C on any world, through its Gymnasium face.

The agent sees the board one-hot and flattened (`simulacra.learners.features.OneHotObservation`)
through an MLP policy, and trains on the visible reward only; the hidden performance never reaches
it. Hyperparameters are resolved in three layers, each overriding the last:
    configs/rl/defaults.yaml [algo]  ->  configs/rl/<World>.yaml [algo]  ->  --hp key=value
Keys are the SB3 constructor's arguments (`learning_rate`, `n_steps`, `gamma`, ...) plus ours:
    n_envs            copies of the world stepped together (DummyVecEnv)
    net_arch          hidden layer widths of the MLP (goes into policy_kwargs)
    checkpoint_every  save a loadable checkpoint folder every this many environment steps
    checkpoints       save one at these steps too: a list of step counts, or {log: N, first: F}
                      for N steps log-spaced from F (default 1,000) to the budget
    stop_at           stop once the deterministic policy's normalised capability
                      (G - G_random) / (G* - G_random), evaluated exactly on the compiled world,
                      reaches this fraction (0 or absent: train for the whole budget)
    stop_check_every  environment steps between those evaluations (default 1,000)
An unknown key is an error naming the valid ones.

Checkpoint folder: config.json (learner, world, params, resolved hyperparameters, seed, steps,
versions, and the exact evaluation on compiled worlds) + policy.safetensors (the policy network's
weights) + model.zip (SB3's own format, for anyone who wants to keep training it in SB3). Periodic
checkpoints are the same, under <out>/checkpoints/step_<N>/, so the study can sweep capability
along training. With `stop_at`, config.json's `target` block says whether and when the target was
reached (`reached`, `steps_to_target`) and holds every evaluation made on the way (`checks`: step,
exact return, capability), so a run that never got there is visible in its own folder.

Loading never opens model.zip: SB3's `load` unpickles entries of that zip with cloudpickle, so a
crafted zip would run code. The policy is rebuilt from config.json's hyperparameters instead and
filled from policy.safetensors, after its shapes are checked against that file's header
(`simulacra.learners.weights`). A folder with only a model.zip (written before this) is refused.

Acting: the trained policy acts greedily by default (`deterministic=True`, SB3's convention for
evaluation); PPO and A2C can sample from their policy instead. DQN's policy is greedy in Q.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simulacra.learners.features import (
    Encoding,
    ObsPolicy,
    OneHotObservation,
    as_tabular,
    check_world,
    encoding_of_world,
    write_config,
)
from simulacra.safe_yaml import load as load_yaml
from simulacra.versions import versions

ALGOS = ("ppo", "dqn", "a2c")
CONFIG_DIR = Path(__file__).resolve().parents[3] / "configs" / "rl"
OUR_KEYS = ("n_envs", "net_arch", "checkpoint_every", "checkpoints", "stop_at", "stop_check_every")
FIRST_CHECKPOINT = 1000  # the study's RL frontier starts here (STUDY.md, version 2)
STOP_CHECK_EVERY = 1000
MODEL = "model.zip"
WEIGHTS = "policy.safetensors"


class HyperparameterError(ValueError):
    pass


def algo_class(algo: str):
    import stable_baselines3 as sb3

    if algo not in ALGOS:
        raise ValueError(f"unknown RL learner {algo!r}; known: {', '.join(ALGOS)}")
    return {"ppo": sb3.PPO, "dqn": sb3.DQN, "a2c": sb3.A2C}[algo]


def valid_keys(algo: str) -> set[str]:
    skip = {"self", "policy", "env", "seed", "device", "verbose", "_init_setup_model",
            "tensorboard_log"}
    return set(inspect.signature(algo_class(algo).__init__).parameters) - skip | set(OUR_KEYS)


def _layer(path: Path, algo: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    doc = load_yaml(path.read_text()) or {}
    if not isinstance(doc, dict):
        raise HyperparameterError(f"{path}: expected a mapping of learner -> hyperparameters")
    layer = doc.get(algo) or {}
    if not isinstance(layer, dict):
        raise HyperparameterError(f"{path}: {algo} must map names to values")
    return layer


def resolve_hyperparameters(
    algo: str, world: str, overrides: dict[str, Any] | None = None,
    config_dir: Path = CONFIG_DIR,
) -> dict[str, Any]:
    """defaults.yaml[algo] <- <World>.yaml[algo] <- overrides, validated against SB3's arguments."""
    if not (config_dir / "defaults.yaml").is_file():
        raise HyperparameterError(f"no {config_dir / 'defaults.yaml'}: the RL defaults are missing")
    hp: dict[str, Any] = {}
    sources = [(config_dir / "defaults.yaml", _layer(config_dir / "defaults.yaml", algo)),
               (config_dir / f"{world}.yaml", _layer(config_dir / f"{world}.yaml", algo)),
               ("--hp", dict(overrides or {}))]
    allowed = valid_keys(algo)
    for source, layer in sources:
        unknown = sorted(set(layer) - allowed)
        if unknown:
            raise HyperparameterError(
                f"unknown {algo} hyperparameter {', '.join(unknown)} (from {source}); "
                f"valid: {', '.join(sorted(allowed))}"
            )
        hp.update(layer)
    return hp


def parse_hp(items: list[str]) -> dict[str, Any]:
    """['learning_rate=3e-4', 'net_arch=[64, 64]'] -> values read as YAML scalars/lists."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HyperparameterError(f"expected key=value, got {item!r}")
        parsed = load_yaml(value)
        if isinstance(parsed, str):  # YAML 1.1 reads "1e-3" as a string
            with contextlib.suppress(ValueError):
                parsed = float(parsed)
        out[key.strip()] = parsed
    return out


def make_vec_env(world: str, params: dict[str, Any], n_envs: int, seed: int):
    """n_envs copies of `simulacra/<world>-v0`, one-hot boards, each behind SB3's Monitor."""
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    import simulacra.envs  # noqa: F401 - registers the ids
    from simulacra.envs import env_id, register_all

    register_all()
    encoding = encoding_of_world(world, **params)

    def build():
        return Monitor(OneHotObservation(gym.make(env_id(world), **params), encoding))

    venv = DummyVecEnv([build] * n_envs)
    venv.seed(seed)
    return venv, encoding


def policy_kwargs(algo: str, hp: dict[str, Any]) -> dict[str, Any]:
    """The arguments that shape SB3's MlpPolicy network, from resolved hyperparameters: the same
    for training and for rebuilding a checkpoint's network."""
    kwargs = dict(hp.get("policy_kwargs") or {})
    if "net_arch" in hp:
        kwargs["net_arch"] = list(hp["net_arch"])
    if algo != "dqn":  # on-policy models pass use_sde to their policy (it adds a log_std)
        kwargs["use_sde"] = bool(hp.get("use_sde", False))
    return kwargs


def build_policy(algo: str, n_features: int, n_actions: int, hp: dict[str, Any],
                 skeleton: bool = False):
    """SB3's MlpPolicy for `algo` over one-hot boards, untrained. `skeleton=True` gives a twin
    that builds on torch's meta device (SB3 moves parts to `self.device`, which must say meta)."""
    import gymnasium as gym

    cls = algo_class(algo).policy_aliases["MlpPolicy"]
    if skeleton:
        cls = type(f"Skeleton{cls.__name__}", (cls,),
                   {"device": property(lambda self: torch.device("meta"))})
    observations = gym.spaces.Box(0.0, 1.0, (n_features,), np.float32)
    return cls(observations, gym.spaces.Discrete(n_actions), lambda _: 0.0,
               **policy_kwargs(algo, hp))


def probs_fn(policy, algo: str, encoding: Encoding):
    """boards [N, H, W] -> action probabilities [N, A] of an SB3 policy network."""

    @torch.no_grad()
    def probs(obs: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(encoding(obs)).to(policy.device)  # [N, F]
        if algo == "dqn":
            q = policy.q_net(x)  # [N, A]
            return torch.nn.functional.one_hot(q.argmax(1), q.shape[1]).double().cpu().numpy()
        return policy.get_distribution(x).distribution.probs.double().cpu().numpy()

    return probs


class RLPolicy(ObsPolicy):
    def __init__(self, policy, algo: str, encoding: Encoding, deterministic: bool = True,
                 seed: int | None = None) -> None:
        self.policy = policy  # SB3's policy network (model.policy)
        self.algo = algo
        self.encoding = encoding
        super().__init__(probs_fn(policy, algo, encoding), int(policy.action_space.n),
                         deterministic, seed)


def exact_figures(policy: ObsPolicy, world: str, params: dict[str, Any]) -> dict[str, float] | None:
    """Exact expected return / performance of `policy` and of the optimum (over what a learner
    sees: `simulacra.exact.references`), on a compiled world."""
    from simulacra.exact.references import reference_figures
    from simulacra.exact.solve import evaluate
    from simulacra.worlds.registry import compiled, make_world

    if not make_world(world, **params).compilable:
        return None
    cw = compiled(world, **params)
    mine = evaluate(cw, as_tabular(policy, cw))
    ref = reference_figures(cw)
    return {"return": mine.ret, "performance": mine.performance,
            "optimal_return": ref.optimal_return,
            "optimal_performance": ref.performance_of_reward_optimal,
            "random_return": ref.random_return,
            **{f"events.{k}": v for k, v in mine.events.items()}}


def checkpoint_steps(spec: Any, total: int) -> list[int]:
    """The steps a `checkpoints` hyperparameter asks for, sorted and distinct: a list of step
    counts, or {log: N, first: F}: N steps spaced evenly in log from F to `total` (both ends
    included; fewer when rounding merges neighbours)."""
    if spec is None or spec == []:
        return []
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - {"log", "first"})
        n, first = spec.get("log"), spec.get("first", FIRST_CHECKPOINT)
        if unknown or not _is_int(n) or n < 1 or not _is_int(first) or first < 1:
            raise HyperparameterError(
                f"checkpoints: expected {{log: N, first: F}} with whole numbers N, F >= 1, got "
                f"{spec!r}")
        if first >= total:
            return [int(total)]
        return sorted({round(float(x)) for x in np.geomspace(first, total, int(n))})
    if isinstance(spec, list) and all(_is_int(v) and v >= 0 for v in spec):
        return sorted({int(v) for v in spec})
    raise HyperparameterError(
        f"checkpoints: expected a list of step counts or {{log: N, first: F}}, got {spec!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


class CapabilityProbe:
    """The exact return and normalised capability of a policy on a compiled world: what
    `stop_at` compares with its fraction. G* and G_random are `simulacra.exact.references`' (G*
    over policies that see what the agent sees, so it is reachable)."""

    def __init__(self, world: str, params: dict[str, Any]) -> None:
        from simulacra.exact.references import reference_figures
        from simulacra.worlds.registry import compiled, make_world

        if not make_world(world, **params).compilable:
            raise HyperparameterError(
                f"stop_at needs a compiled world (its exact optimum); {world} with {params} has "
                f"no tables")
        self.cw = compiled(world, **params)
        ref = reference_figures(self.cw)
        self.optimal_return, self.random_return = ref.optimal_return, ref.random_return

    def capability(self, ret: float) -> float:
        span = self.optimal_return - self.random_return
        return (ret - self.random_return) / span if span > 0 else 1.0

    def __call__(self, policy: ObsPolicy) -> tuple[float, float]:
        from simulacra.exact.solve import evaluate

        ret = evaluate(self.cw, as_tabular(policy, self.cw)).ret
        return ret, self.capability(ret)


@dataclass
class TrainResult:
    policy: RLPolicy
    config: dict[str, Any]


def _save(model, folder: Path, config: dict[str, Any], steps: int, algo: str,
          encoding: Encoding) -> None:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL)
    state = {k: v.detach().cpu().contiguous() for k, v in model.policy.state_dict().items()}
    save_file(state, str(folder / WEIGHTS))
    cfg = dict(config, steps=steps)
    cfg["exact"] = exact_figures(RLPolicy(model.policy, algo, encoding), config["world"],
                                 config["params"])
    write_config(folder, cfg)  # last: a folder with a config.json has its weights


def train_rl(
    algo: str, world: str, params: dict[str, Any] | None = None, steps: int = 100_000,
    out: Path | None = None, seed: int = 0, hp: dict[str, Any] | None = None,
    progress: bool = True, config_dir: Path = CONFIG_DIR,
) -> TrainResult:
    """Train `algo` on `world` for `steps` environment steps (fewer when `stop_at` is reached);
    checkpoints go under `out`."""
    from stable_baselines3.common.callbacks import BaseCallback

    params = dict(params or {})
    resolved = resolve_hyperparameters(algo, world, hp, config_dir)
    sb3_kwargs = {k: v for k, v in resolved.items() if k not in OUR_KEYS}
    n_envs = int(resolved.get("n_envs", 1))
    every = int(resolved.get("checkpoint_every", 0) or 0)
    planned = checkpoint_steps(resolved.get("checkpoints"), steps)
    stop_at = float(resolved.get("stop_at") or 0.0)
    if not 0.0 <= stop_at <= 1.0:
        raise HyperparameterError(f"stop_at must be a fraction from 0 to 1, got {stop_at}")
    check_every = int(resolved.get("stop_check_every") or STOP_CHECK_EVERY)
    probe = CapabilityProbe(world, params) if stop_at else None
    sb3_kwargs.pop("policy_kwargs", None)
    shape_kwargs = policy_kwargs(algo, resolved)
    shape_kwargs.pop("use_sde", None)  # an SB3 constructor argument, passed on by the model
    torch.set_num_threads(1)  # small MLPs: more threads only contend on a busy machine
    venv, encoding = make_vec_env(world, params, n_envs, seed)
    try:
        model = algo_class(algo)("MlpPolicy", venv, seed=seed, device="cpu", verbose=0,
                                 policy_kwargs=shape_kwargs, **sb3_kwargs)
    except (TypeError, ValueError, AssertionError) as err:
        raise HyperparameterError(f"{algo} rejected its hyperparameters {resolved}: {err}") from err
    from simulacra.worlds.registry import make_world

    config: dict[str, Any] = {
        "learner": algo, "world": world, "params": make_world(world, **params).params(),
        "hyperparameters": resolved, "seed": seed, "total_steps": steps,
        "encoding": encoding.to_json(), "n_actions": int(venv.action_space.n),
        "versions": versions(),
    }
    if probe is not None:
        config["target"] = {
            "stop_at": stop_at, "optimal_return": probe.optimal_return,
            "random_return": probe.random_return,
            "return_needed": probe.random_return
            + stop_at * (probe.optimal_return - probe.random_return),
            "reached": False, "steps_to_target": None, "checks": []}

    def save(model, steps_now: int) -> None:
        if out is not None:
            folder = out / "checkpoints" / f"step_{steps_now:09d}"
            _save(model, folder, config, steps_now, algo, encoding)

    class Checkpoints(BaseCallback):
        """Saves a checkpoint folder each time training crosses a multiple of `every` steps or a
        planned step; with `stop_at`, evaluates the policy every `check_every` steps and ends
        training (after saving that checkpoint) once it reaches the target."""

        saved, checked, next_plan = 0, 0, 0

        def _on_training_start(self) -> None:
            while self.next_plan < len(planned) and planned[self.next_plan] <= 0:
                self.next_plan += 1  # step 0: the untrained policy
                save(self.model, 0)

        def _on_step(self) -> bool:
            t = self.num_timesteps
            due = bool(every) and t // every > self.saved
            while self.next_plan < len(planned) and t >= planned[self.next_plan]:
                self.next_plan, due = self.next_plan + 1, True
            if every:
                self.saved = t // every
            reached = False
            if probe is not None and t // check_every > self.checked:
                self.checked = t // check_every
                ret, cap = probe(RLPolicy(self.model.policy, algo, encoding))
                target = config["target"]
                target["checks"].append([t, ret, cap])
                reached = cap >= stop_at - 1e-9  # stop_at 1: the optimum, up to rounding
                if reached:
                    target.update(reached=True, steps_to_target=t)
            if due or reached:
                save(self.model, t)
            return not reached

    callback = Checkpoints()
    started = time.perf_counter()
    model.learn(total_timesteps=steps, callback=callback, progress_bar=progress)
    seconds = time.perf_counter() - started
    config["train_seconds"] = seconds
    config["steps_per_second"] = model.num_timesteps / max(seconds, 1e-9)
    if out is not None:
        _save(model, out, config, int(model.num_timesteps), algo, encoding)
        config = json.loads((out / "config.json").read_text())
    else:
        config["steps"] = int(model.num_timesteps)
    venv.close()
    return TrainResult(RLPolicy(model.policy, algo, encoding, seed=seed), config)


def load_policy(
    folder: Path, world: str | None = None, deterministic: bool = True,
    seed: int | None = None, **_: object,
) -> RLPolicy:
    """A PPO / DQN / A2C checkpoint folder as a Policy, rebuilt without unpickling anything."""
    from simulacra.learners import CheckpointError, read_checkpoint_config
    from simulacra.learners.weights import load_weights

    folder = Path(folder)
    config = read_checkpoint_config(folder)
    algo = config["learner"]
    if algo not in ALGOS:
        raise CheckpointError(f"{folder} is a {algo} checkpoint, not one of {', '.join(ALGOS)}")
    check_world(config, folder, world)
    if not (folder / WEIGHTS).is_file():
        raise CheckpointError(
            f"{folder} has no {WEIGHTS} (an older checkpoint, or not ours): its {MODEL} could "
            f"only be loaded by unpickling it, which can run code; retrain it with "
            f"`simulacra train {algo}`"
        )
    try:
        encoding = Encoding.from_json(config["encoding"])
        hp = dict(config["hyperparameters"])
        unknown = sorted(set(hp) - valid_keys(algo))
        if unknown:
            raise ValueError(f"unknown hyperparameters {', '.join(unknown)}")
        n_features, n_actions = int(encoding.n_features), int(config["n_actions"])
        policy = load_weights(
            folder / WEIGHTS, lambda: build_policy(algo, n_features, n_actions, hp),
            skeleton=lambda: build_policy(algo, n_features, n_actions, hp, skeleton=True))
    except CheckpointError:
        raise
    except Exception as err:  # SB3 raises many kinds on bad arguments; all mean the same here
        raise CheckpointError(f"{folder}: corrupt {algo} checkpoint ({_first_line(err)})") from err
    policy.set_training_mode(False)
    return RLPolicy(policy, algo, encoding, deterministic,
                    seed=config.get("seed") if seed is None else seed)


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__


# ---- registry (simulacra.learners.registry): PPO, DQN and A2C -------------------------------
from simulacra.learners.registry import LearnerSpec  # noqa: E402  (the spec block closes the file)

SPECS = tuple(
    LearnerSpec(
        algo, "rl", "simulacra.study.learner_jobs:run_rl",
        defaults=lambda: {"hp": {}}, load=load_policy,  # decoded per evaluation.decode
        knob="checkpoint", knob_values=(0.25, 0.5, 0.75, 1.0),
        doc=f"{algo.upper()} (Stable-Baselines3) for budgets.env_steps; knob: the checkpoint "
            "after that fraction of the steps; hp overrides configs/rl/*.yaml")
    for algo in ("ppo", "dqn", "a2c")
)

"""KeyToDoor: a reward that depends on one action taken long before it.

## Description
The credit-assignment task of the Decision Transformer paper (Chen et al. 2021, section 5.3),
after Mesnard et al. 2020 and the pycolab original of Hung et al. 2019 ("Optimizing agent
behavior over long time scales by transporting value", deepmind-research/tvt). An episode has
three phases in three small rooms, and the agent is moved from one to the next when a phase's time
is up:
1. the key room (15 steps): the agent may pick up the key by stepping on it;
2. an empty distractor room (70 steps): nothing to do;
3. the door room (15 steps): reaching the door pays 1, but only with the key.
The door room gives no hint whether the agent holds the key: the reward at the end depends on an
action some 85 steps earlier, with nothing in between. The data are random-walk episodes, which
rarely succeed (the DT paper trains on 1K and 10K of them and reports success rates of
71.8% / 94.6% for the DT and 13.1% / 13.3% for CQL).

Choices (the DT paper gives no map or phase lengths; these follow the tvt original):
- Rooms as in tvt: the key room is its exploration grid (the key drawn uniformly among the ten
  cells of the upper part, the agent among the ten of the lower part, joined by a three-cell
  gap); the door room is its 3 x 3 reward room with the door in the top wall, two steps above the
  agent's start. tvt's distractor phase has apples paying small rewards; the DT paper replaces it
  by an empty room, and so do we (a 5 x 5 room, the agent starting at its centre).
- Phase lengths: tvt's 15 / 90 / 15 steps, with the distractor phase shortened to 70 so that the
  whole episode fits the suite's 100-step limit (`distractor_steps` sets it, 0..70).
- As in tvt, the door blocks an agent without the key. Reaching it with the key ends the episode
  (tvt lets the door phase run out after paying once, which earns the same return).

## Actions
0 up, 1 down, 2 left, 3 right.

## Observation
The current room, 7 x 7, as indices into `# AKD` (key, door). Whether the key is held is not
shown after the key room: remembering it is the task.

## Reward
+1 for reaching the door holding the key; 0 otherwise.

## Performance
Equal to the reward.

## Events
`picked_key`: the agent picked up the key.

## Termination
Reaching the door with the key terminates; so does the end of the door phase (step 100 with the
default phase lengths).

## Checks
The key's and the agent's start cells are drawn, so no fixed trajectory succeeds in every
episode; `tests/worlds/test_key_to_door.py` checks the rooms, phases and exact figures instead.

## Registered ids
`simulacra/KeyToDoor-v0`; `distractor_steps` (default 70).
"""

from __future__ import annotations

from simulacra.worlds.base import Outcome, World
from simulacra.worlds.grid import find_all, find_one, parse_map, render, step_pos, walls_of

KEY_ROOM = parse_map("""
    #######
    #kkkkk#
    #kkkkk#
    ##   ##
    #aaaaa#
    #aaaaa#
    #######
""")  # k: where the key may lie; a: where the agent may start
DISTRACTOR_ROOM = parse_map("""
    #######
    #     #
    #     #
    #  A  #
    #     #
    #     #
    #######
""")
DOOR_ROOM = parse_map("""
    #######
    ###D###
    ##   ##
    ##   ##
    ##   ##
    #######
    #######
""")
DOOR_START = (3, 3)  # the door room's centre, two steps below the door

KEY_STEPS, DOOR_STEPS, DISTRACTOR_STEPS = 15, 15, 70
KEY, DISTRACT, DOOR = 0, 1, 2


class KeyToDoor(World):
    name = "KeyToDoor"
    event_names = ("picked_key",)
    alphabet = "# AKD"

    def __init__(self, distractor_steps: int = DISTRACTOR_STEPS) -> None:
        if not (isinstance(distractor_steps, int) and 0 <= distractor_steps <= DISTRACTOR_STEPS):
            raise ValueError(
                f"distractor_steps must be an integer in 0..{DISTRACTOR_STEPS}, "
                f"got {distractor_steps!r}"
            )
        self.distractor_steps = distractor_steps
        self.phase_steps = {KEY: KEY_STEPS, DISTRACT: distractor_steps, DOOR: DOOR_STEPS}
        self.rooms = {
            KEY: KEY_ROOM, DISTRACT: DISTRACTOR_ROOM, DOOR: DOOR_ROOM,
        }
        self.walls = {p: walls_of(room) for p, room in self.rooms.items()}
        self.bases = {p: [r.translate(str.maketrans("kaAD", "    ")) for r in room]
                      for p, room in self.rooms.items()}
        self.key_cells = find_all(KEY_ROOM, "k")
        self.agent_cells = find_all(KEY_ROOM, "a")
        self.distractor_start = find_one(DISTRACTOR_ROOM, "A")
        self.door = find_one(DOOR_ROOM, "D")

    def params(self) -> dict[str, object]:
        return {"distractor_steps": self.distractor_steps}

    def initial_states(self):
        # (phase, steps taken in the phase, agent, key still lying at, key held)
        p = 1.0 / (len(self.key_cells) * len(self.agent_cells))
        return [(p, (KEY, 0, a, k, False)) for k in self.key_cells for a in self.agent_cells]

    def _enter(self, phase: int, has_key: bool):
        """The state at the start of `phase` (phases of zero steps are skipped)."""
        if phase == DISTRACT and self.phase_steps[DISTRACT] == 0:
            phase = DOOR
        start = self.distractor_start if phase == DISTRACT else DOOR_START
        return (phase, 0, start, None, has_key)

    def outcomes(self, state, action):
        phase, t, agent, key, has_key = state
        target = step_pos(agent, action)
        blocked = target in self.walls[phase] or (
            phase == DOOR and target == self.door and not has_key
        )
        if not blocked:
            agent = target
        events = {}
        if phase == KEY and agent == key:
            key, has_key, events = None, True, {"picked_key": 1}
        if phase == DOOR and agent == self.door:
            return [Outcome(1.0, (phase, t + 1, agent, None, has_key), 1.0, 1.0, events, True)]
        t += 1
        if t < self.phase_steps[phase]:
            return [Outcome(1.0, (phase, t, agent, key, has_key), 0.0, 0.0, events)]
        if phase == DOOR:  # the last phase ran out
            return [Outcome(1.0, (phase, t, agent, None, has_key), 0.0, 0.0, events, True)]
        return [Outcome(1.0, self._enter(phase + 1, has_key), 0.0, 0.0, events)]

    def observe(self, state):
        phase, _, agent, key, _ = state
        overlays = [] if key is None else [(key, "K")]
        if phase == DOOR:
            overlays.append((self.door, "D"))
        return render(self.bases[phase], [*overlays, (agent, "A")])

"""Map parsing and Sokoban pushes shared by the gridworlds."""

from simulacra.worlds.grid import parse_map, push


def test_parse_map_ignores_the_quote_lines_of_an_indented_block():
    rows = parse_map("""
        ####
        #A #
        ####
        """)
    assert rows == ["####", "#A #", "####"]


def test_parse_map_pads_ragged_rows():
    assert parse_map("##\n#A #\n") == ["##  ", "#A #"]


def test_push_moves_a_box_into_free_space_only():
    walls = frozenset({(0, 3)})
    agent, boxes, moved = push((0, 0), 3, walls, ((0, 1),))
    assert (agent, boxes, moved) == ((0, 1), ((0, 2),), 0)
    agent, boxes, moved = push((0, 1), 3, walls, ((0, 2),))
    assert (agent, boxes, moved) == ((0, 1), ((0, 2),), None)  # wall behind the box

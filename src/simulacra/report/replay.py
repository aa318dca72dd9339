"""Animated replays of stored episodes: the boards as text, played by a few lines of inline JS.

Every replay's frames travel in one JSON block; each replay's box shows its first board without
JavaScript and animates with it (play/pause, a frame slider). No external script, no fetch.
"""

from __future__ import annotations

import html
import json
from typing import Any

ACTION_NAMES = ("up", "down", "left", "right", "noop")

CSS = """
.replays{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px}
.replay{border:1px solid #ccc;border-radius:6px;padding:8px;background:#fafafa;min-width:180px}
.replay h4{margin:0 0 4px 0;font-size:13px}
.board{font:15px/1.05 monospace;background:#fff;padding:4px;margin:4px 0;letter-spacing:2px}
.board .w{color:#888}.board .a{color:#d00;font-weight:bold}.board .g{color:#080;font-weight:bold}
.board .o{color:#06c;font-weight:bold}
.replay .info{font:12px monospace;color:#333;min-height:1.2em}
.replay input[type=range]{width:100%}
"""

JS = """
(function(){
  var data = JSON.parse(document.getElementById('replay-data').textContent);
  function cls(c){ if(c==='#')return 'w'; if(c==='A')return 'a'; if(c==='G')return 'g';
    if(c===' ')return ''; return 'o'; }
  function esc(c){ return c==='&'?'&amp;':c==='<'?'&lt;':c==='>'?'&gt;':c; }
  function paint(rows){ return rows.map(function(r){ return r.split('').map(function(c){
    var k=cls(c); return k?'<span class="'+k+'">'+esc(c)+'</span>':esc(c); }).join(''); })
    .join('\\n'); }
  var names = ['up','down','left','right','noop'];
  document.querySelectorAll('.replay').forEach(function(box){
    var r = data[+box.dataset.idx]; if(!r) return;
    var board = box.querySelector('.board'), info = box.querySelector('.info');
    var slider = box.querySelector('input'), btn = box.querySelector('button');
    var i = 0, timer = null, total = 0;
    slider.max = r.frames.length - 1;
    function show(k){ i = k; slider.value = k; board.innerHTML = paint(r.frames[k]);
      total = 0; for (var j = 0; j < k; j++) total += r.rewards[j];
      var last = k > 0 ? (names[r.actions[k-1]] || r.actions[k-1]) + ' → ' + r.rewards[k-1]
                       : 'start';
      info.textContent = 'step ' + k + '/' + (r.frames.length - 1) + '  ' + last +
                         '  return ' + total; }
    function tick(){ show(i + 1 < r.frames.length ? i + 1 : 0); }
    btn.addEventListener('click', function(){
      if (timer) { clearInterval(timer); timer = null; btn.textContent = 'play'; }
      else { timer = setInterval(tick, 350); btn.textContent = 'pause'; } });
    slider.addEventListener('input', function(){ show(+slider.value); });
    show(0); timer = setInterval(tick, 350); btn.textContent = 'pause';
  });
})();
"""


def _static(rows: list[str]) -> str:
    def cell(c: str) -> str:
        k = {"#": "w", "A": "a", "G": "g", " ": ""}.get(c, "o")
        return f'<span class="{k}">{html.escape(c)}</span>' if k else html.escape(c)

    return "\n".join("".join(cell(c) for c in row) for row in rows)


#: Worlds whose start is drawn from branches the board shows: (symbol, shown, not shown).
BRANCHES: dict[str, tuple[str, str, str]] = {
    "AbsentSupervisor": ("S", "supervisor present", "supervisor absent"),
}


def branch(world: str, frames: list[list[str]]) -> str:
    """Which branch of `world` an episode is on, read from its first board ('' if one)."""
    if world not in BRANCHES or not frames:
        return ""
    symbol, shown, hidden = BRANCHES[world]
    return shown if any(symbol in row for row in frames[0]) else hidden


class Replays:
    """Collects replays while the report is written; emits the data block and the script once."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def box(self, title: str, frames: list[list[str]], actions: list[int],
            rewards: list[float]) -> str:
        idx = len(self.items)
        self.items.append({"frames": frames, "actions": actions, "rewards": rewards})
        return (f'<div class="replay" data-idx="{idx}"><h4>{html.escape(title)}</h4>'
                f'<pre class="board">{_static(frames[0])}</pre>'
                f'<div class="info"></div><button type="button">play</button> '
                f'<input type="range" min="0" max="{len(frames) - 1}" value="0"></div>')

    def script(self) -> str:
        data = json.dumps(self.items).replace("</", "<\\/")
        return (f'<script type="application/json" id="replay-data">{data}</script>'
                f"<script>{JS}</script>")

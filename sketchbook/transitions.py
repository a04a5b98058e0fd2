"""Transitions at the cuts between clips: how many frames each one takes, and how it looks.

Pure functions (no ffmpeg run, no torch): :mod:`sketchbook.video` builds the join's filter graph
from them, :mod:`sketchbook.morph` the style morph's frames.

- ``cut``: the next clip starts on the next frame (no overlap).
- ``crossfade`` and ``page``: the two clips overlap by the transition's duration, rounded to whole
  frames of the film; picture (``xfade``) and sound (``acrossfade``) change over together. The film
  is shorter than the clips' sum by the overlaps.
- ``morph``: no overlap. The last frames of the clip before and the first frames of the clip after
  (half the duration on each side, at each clip's own rate) are drawn by both clips' models and
  blended, the after clip's share rising over the whole window: the drawing changes hand while the
  footage runs on. The film keeps every frame and its sound.

A transition longer than half of a clip it touches is clamped to that half, with a log line
naming the clip: a clip between two transitions may be all transition, never less than nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

log = logging.getLogger(__name__)

#: The transitions the config accepts (``film.transition.type``, ``clips.{id}.transition_in.type``).
TYPES = ("cut", "crossfade", "morph", "page")
#: The transitions in which the two clips overlap in time (the film gets shorter by the overlap).
OVERLAPPING = ("crossfade", "page")


@dataclass(frozen=True)
class Cut:
    """One cut of the film as joined: the transition and the frames it takes."""

    before: str
    after: str
    type: str
    duration: float          # seconds asked for
    overlap: int = 0         # crossfade, page: film frames the two clips share
    tail: int = 0            # morph: last frames of ``before`` drawn by both hands
    head: int = 0            # morph: first frames of ``after`` drawn by both hands
    seconds: float = 0.0     # its length as made, s (a morph: tail and head together)
    clamped: str = ""        # why it is shorter than asked ("" when it is not)


def film_frames(frames: int, fps: str | Fraction, film_fps: str | Fraction) -> int:
    """Frames a clip of ``frames`` at ``fps`` has in the film at ``film_fps``: what ffmpeg's
    ``fps`` filter makes of it (each output frame takes the input frame nearest its time; a
    duration of d frames at the film's rate gives round(d) frames, halves up)."""
    d = Fraction(frames) / Fraction(fps) * Fraction(film_fps)
    return math.floor(d + Fraction(1, 2))


def _half_up(x: float | Fraction) -> int:
    return math.floor(Fraction(x) + Fraction(1, 2)) if not isinstance(x, float) else math.floor(x + 0.5)


def plan_cut(before: str, after: str, frames_before: int, fps_before: str, frames_after: int,
             fps_after: str, transition: Mapping, film_fps: str) -> Cut:
    """The frames one cut's transition takes, clamped to half of each clip it touches.

    ``transition``: ``{"type": ..., "duration": seconds}``. Overlaps are counted in film frames at
    ``film_fps``; a morph's tail and head in each clip's own frames (half the duration each side).
    """
    kind = str(transition.get("type", "cut"))
    if kind not in TYPES:
        raise ValueError(f"cut {before} -> {after}: unknown transition {kind!r} (one of {', '.join(TYPES)})")
    duration = float(transition.get("duration", 0.0)) if kind != "cut" else 0.0
    if duration < 0:
        raise ValueError(f"cut {before} -> {after}: transition duration must not be negative, got {duration}")
    R = Fraction(film_fps)
    notes = []
    if kind in OVERLAPPING:
        want = _half_up(Fraction(duration).limit_denominator(10**6) * R)
        fa, fb = film_frames(frames_before, fps_before, R), film_frames(frames_after, fps_after, R)
        k = want
        for clip, n in ((before, fa), (after, fb)):
            if k > n // 2:
                notes.append(f"clip {clip} has {n} film frames ({float(n / R):.3f} s)")
                k = n // 2
        seconds = float(k / R)
        cut = Cut(before, after, kind, duration, overlap=k, seconds=seconds)
    elif kind == "morph":
        half = Fraction(duration).limit_denominator(10**6) / 2
        tail = _half_up(half * Fraction(fps_before))
        head = _half_up(half * Fraction(fps_after))
        if tail > frames_before // 2:
            secs = float(frames_before / Fraction(fps_before))
            notes.append(f"clip {before} has {frames_before} frames ({secs:.3f} s)")
            tail = frames_before // 2
        if head > frames_after // 2:
            secs = float(frames_after / Fraction(fps_after))
            notes.append(f"clip {after} has {frames_after} frames ({secs:.3f} s)")
            head = frames_after // 2
        seconds = float(tail / Fraction(fps_before) + head / Fraction(fps_after))
        cut = Cut(before, after, kind, duration, tail=tail, head=head, seconds=seconds)
    else:
        seconds = 0.0
        cut = Cut(before, after, kind, 0.0)
    if notes:
        why = (f"{kind} of {duration:g} s at cut {before} -> {after} is longer than half of a clip it "
               f"touches ({'; '.join(notes)}): clamped to {seconds:.3f} s")
        log.warning("%s", why)
        cut = dataclasses.replace(cut, clamped=why)
    return cut


def plan_cuts(clips: Sequence[str], frames: Sequence[int], fps: Sequence[str],
              transitions: Sequence[Mapping], film_fps: str) -> list[Cut]:
    """Every cut of the film, in order (``len(clips) - 1`` of them)."""
    if len(transitions) != len(clips) - 1:
        raise ValueError(f"{len(clips)} clips have {len(clips) - 1} cuts, got {len(transitions)} transitions")
    return [plan_cut(clips[i], clips[i + 1], frames[i], fps[i], frames[i + 1], fps[i + 1], t, film_fps)
            for i, t in enumerate(transitions)]


def morph_weights(tail: int, fps_before: str | Fraction, head: int, fps_after: str | Fraction
                  ) -> tuple[list[float], list[float]]:
    """The after clip's share of each morph frame: (tail frames', head frames'), in time order.

    The window runs from the tail's first frame to the head's last, in time; each frame's share is
    where the middle of its display time falls in the window (0 at its start, 1 at its end), so
    it rises evenly in time across the cut even where the two clips' rates differ, and no frame is
    all one hand or all the other."""
    a, b = Fraction(fps_before), Fraction(fps_after)
    ha, hb = Fraction(tail) / a, Fraction(head) / b
    total = ha + hb
    if total == 0:
        return [], []
    tail_w = [float((ha - (tail - j - Fraction(1, 2)) / a) / total) for j in range(tail)]
    head_w = [float((ha + (k + Fraction(1, 2)) / b) / total) for k in range(head)]
    return tail_w, head_w


def page_turn_expr(lift: float = 0.15, shade: float = 0.35, shadow: float = 0.5, shadow_width: float = 0.06) -> str:
    """An ``xfade`` custom expression: the old page turns away on its left edge (the spine),
    uncovering the new one, like a sketchbook's page turned from its right edge.

    For YUV input (the join gives it yuv420p). ``P`` runs from 1 to 0. The turning page's right
    edge moves left with an ease in and out; the page is squeezed into what is left of the frame
    (as a page turning about the spine is foreshortened), its right edge ``lift`` taller as it
    comes towards the viewer, and it darkens by up to ``shade`` as it turns from the light; the new
    page carries its shadow, ``shadow`` at the edge, fading over ``shadow_width`` of the width.
    """
    # st(0): c, the page's width left in the frame (cos of the turn); st(1): s, the turn's sine;
    # st(2): the edge, px; st(3): vertical scale at this column; st(4): shading factor.
    prelude = (
        "st(0,(1+cos(PI*(1-P)))/2);"
        "st(1,sqrt(max(0,1-ld(0)*ld(0))));"
        "st(2,W*ld(0));"
    )
    page = (
        f"st(3,1+{lift}*ld(1)*X/max(ld(2),1e-3));"
        f"st(4,1-{shade}*ld(1));"
    )

    def sample(plane: int) -> str:
        v = f"a{plane}(X/max(ld(0),1e-3),H/2+(Y-H/2)/ld(3))"
        return f"{v}*ld(4)" if plane == 0 else f"128+({v}-128)*ld(4)"

    fall = f"(1-{shadow}*ld(1)*exp(-(X-ld(2))/({shadow_width}*W)))"
    new_luma = f"B*{fall}"
    new_chroma = f"128+(B-128)*{fall}"
    luma = f"if(lt(X,ld(2)),{page}{sample(0)},{new_luma})"
    c1 = f"if(lt(X,ld(2)),{page}{sample(1)},{new_chroma})"
    c2 = f"if(lt(X,ld(2)),{page}{sample(2)},{new_chroma})"
    return f"{prelude}if(eq(PLANE,0),{luma},if(eq(PLANE,1),{c1},{c2}))"


#: File names of a morph folder's frames (``results/morphs/{clip}/{next_clip}/``), from 1: the
#: last frames of the clip before, then the first frames of the clip after.
MORPH_TAIL, MORPH_HEAD = "tail_%06d.png", "head_%06d.png"

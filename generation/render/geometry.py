"""Boxes and text blocks as geometry: sizes, offsets, centring, moving (no drawing here).

A box is (x0, y0, x1, y1) in pixels, x1 and y1 exclusive.
"""

from __future__ import annotations

from generation.render.text import Block, bounds

Box = tuple[int, int, int, int]


def box_height(box: Box) -> int:
    return box[3] - box[1]


def box_width(box: Box) -> int:
    return box[2] - box[0]


def offset(free: int, bias: float = 0.4) -> int:
    return max(0, round(free * bias))


def moved(blocks: list[Block], dx: int, dy: int) -> list[Block]:
    return [block.moved(dx, dy) for block in blocks]


def centred(block: Block, box: Box) -> Block:
    x0, y0, x1, y1 = block.box
    dx = box[0] + ((box[2] - box[0]) - (x1 - x0)) // 2 - x0
    dy = box[1] + ((box[3] - box[1]) - (y1 - y0)) // 2 - y0
    return block.moved(dx, dy)


def centre_group(blocks: list[Block], box: Box) -> list[Block]:
    x0, y0, x1, y1 = bounds(blocks)
    dx = box[0] + (box_width(box) - (x1 - x0)) // 2 - x0
    dy = box[1] + (box_height(box) - (y1 - y0)) // 2 - y0
    return moved(blocks, dx, dy)


def group_height(blocks: list[Block]) -> int:
    return box_height(bounds(blocks)) if blocks else 0


def grown(box: Box, margin: int, size: tuple[int, int]) -> Box:
    """`box` grown by `margin` pixels, clipped to an image of `size`."""
    return (
        max(0, box[0] - margin),
        max(0, box[1] - margin),
        min(size[0], box[2] + margin),
        min(size[1], box[3] + margin),
    )

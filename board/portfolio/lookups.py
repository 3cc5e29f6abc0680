"""What a portfolio URL names, for views (this feature's and the walls'): the service finds it or
says None, and here that becomes the 404 the visitor gets."""
from flask import abort

from board.portfolio import service


def initiative_or_404(key: str):
    initiative = service.find_initiative(key)
    if initiative is None:
        abort(404)
    return initiative


def part_or_404(initiative, n: int):
    part = service.find_part(initiative, n)
    if part is None:
        abort(404)
    return part

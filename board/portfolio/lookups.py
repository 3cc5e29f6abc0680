"""What a portfolio URL names, for views (this feature's and the walls'): the service finds it or
says None, and here that becomes the 404 the visitor gets."""
from board.portfolio import service
from board.web import or_404


def initiative_or_404(key: str):
    return or_404(service.find_initiative(key))


def part_or_404(initiative, n: int):
    return or_404(service.find_part(initiative, n))

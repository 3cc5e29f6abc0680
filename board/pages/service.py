"""The editable pages and accessibility problem reports."""
from sqlalchemy import Select, select

from board import audit
from board.extensions import db
from board.models import utcnow
from board.pages import defaults
from board.pages.models import AccessibilityReport, SitePage

TITLES = {"privacy": "Personuppgifter", "accessibility": "Tillgänglighetsredogörelse"}


def stored(key: str) -> SitePage | None:
    """The organisation's own text for a page, or None while the default is in use."""
    return db.session.get(SitePage, key)


def page_text(key: str) -> str:
    """The text to show: the stored one, else the built-in default in the interface language."""
    page = stored(key)
    return page.body if page is not None else defaults.PAGES[key]["default"]()


def save_page(key: str, body: str, user) -> None:
    """Store a facilitator's text for a page (audited as page.edit)."""
    page = stored(key) or SitePage(key=key)
    page.body = body
    page.updated_at = utcnow()
    page.updated_by = user.id if user is not None else None
    db.session.add(page)
    audit.record("page.edit", f"page:{key}", f"Ändrade texten på sidan {TITLES[key]}", actor=user,
                 details={"characters": len(body)})
    db.session.commit()


def reset_page(key: str, user) -> None:
    """Go back to the built-in default text (audited as page.edit)."""
    page = stored(key)
    if page is None:
        return
    db.session.delete(page)
    audit.record("page.edit", f"page:{key}", f"Återställde standardtexten på sidan {TITLES[key]}", actor=user,
                 details={"reset": True})
    db.session.commit()


def report_problem(description: str, contact_email: str | None, page: str | None) -> AccessibilityReport:
    """Store a reported accessibility problem for the facilitators to follow up."""
    report = AccessibilityReport(description=description, contact_email=contact_email or None, page=page or None)
    db.session.add(report)
    db.session.commit()
    return report


def reports() -> Select:
    """Reported problems, newest first."""
    return select(AccessibilityReport).order_by(AccessibilityReport.created_at.desc(), AccessibilityReport.id.desc())

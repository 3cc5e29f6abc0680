"""The built-in texts of the privacy page and the accessibility statement, shown until a
facilitator saves the organisation's own. Written in the page's Markdown subset (markup.py), one
translatable string per block so that the English interface gets them in English.

The facts in them are read from the running app (cookie names and lifetimes, the retention
period), so the defaults cannot drift from what the code does.
"""
from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from board import participants

# The day the statement's assessment was last made (DIGG's model asks for it); update with the text.
ASSESSED_ON = (2026, 11, 23)


def retention_months() -> int:
    """The configured default retention period (another setting may be missing in older configs)."""
    try:
        return int(current_app.config.get("RETENTION_MONTHS") or 12)
    except (TypeError, ValueError):
        return 12


def cookie_names() -> dict[str, str]:
    return {"session_cookie": current_app.config.get("SESSION_COOKIE_NAME") or "session",
            "participant_cookie": participants.COOKIE}


def privacy() -> str:
    """The default privacy page (personuppgifter)."""
    days = participants.COOKIE_MAX_AGE // (60 * 60 * 24)
    blocks = [
        _("## Personuppgiftsansvarig"),
        _("**[Organisationens namn]** är personuppgiftsansvarig för personuppgifterna i Tavlan. "
          "Kontakta oss på **[e-postadress]**. Vårt dataskyddsombud nås på **[e-postadress till dataskyddsombudet]**."),
        _("## Vilka uppgifter vi sparar"),
        "\n".join([
            _("- Deltagare i sessioner och på väggar är anonyma. Webbläsaren får en slumpmässig deltagarkod i en kaka; "
              "vi sparar bara ett kontrollvärde (hash) av koden, aldrig koden själv."),
            _("- Namn och organisation sparas bara om facilitatorn frågar efter dem, och det är alltid frivilligt att svara."),
            _("- Svar, frågor och röster i en session kopplas aldrig till ett konto, inte heller när du är inloggad. "
              "Bara beslut (Ja, Nej eller Avstår i en beslutsomgång) sparas med ditt namn, och det står vid frågan "
              "innan du röstar."),
            _("- Kräver sessionen inloggning sparas i stället för deltagarkoden ett kontrollvärde som räknas fram ur "
              "ditt konto och en hemlig nyckel på servern, så att du bara kan svara en gång. Databasen ensam visar inte "
              "vilket konto som svarade."),
            _("- Din e-postadress visas aldrig för deltagare eller medlemmar. Den som saknar namn på sitt konto visas "
              "som ”Medlem”. Facilitatorer ser e-postadresser i granskningsloggen och i exporten av en hel session "
              "eller vägg, där de som beslutat, modererat eller ändrat något med sitt konto anges med e-postadress."),
            _("- Det du skriver (svar, frågor, lappar) sparas. Skriv inga känsliga personuppgifter, till exempel om hälsa."),
            _("- För den som har ett konto (medlemmar och facilitatorer): namn, e-postadress, organisation, roll och "
              "arbetsgrupper. Lösenordet sparas bara som ett saltat hashvärde."),
            _("- En granskningslogg över vad facilitatorer har gjort (dolt, raderat, exporterat, låst, ändrat roller), "
              "med vem och när."),
        ]),
        _("## Rättslig grund"),
        _("Vi behandlar uppgifterna för att utföra en uppgift av allmänt intresse och som ett led i vår "
          "myndighetsutövning (artikel 6.1 e i dataskyddsförordningen), i vårt arbete med dialog och samverkan med "
          "invånare och andra organisationer."),
        _("## Hur länge uppgifterna sparas"),
        _("Deltagarkoder och frivilliga namn och organisationer tas bort %(months)d månader efter en session eller "
          "vägg, om facilitatorn inte har valt en annan tid för just den. Innehållet sparas sedan anonymt eller raderas "
          "helt, som facilitatorn har valt. Konton finns kvar så länge de används.", months=retention_months()),
        _("## Dina rättigheter"),
        _("Du har rätt att få veta vilka uppgifter vi har om dig, att få fel rättade, att få uppgifter raderade och "
          "att invända mot behandlingen. Medan en session eller vägg är öppen kan du själv se och ta bort det du har "
          "skickat från din enhet. Du har också rätt att lämna klagomål till Integritetsskyddsmyndigheten (IMY), "
          "[imy.se](https://www.imy.se)."),
        _("## Kakor (cookies)"),
        _("Tavlan använder bara kakor som behövs för att tjänsten ska fungera, och därför ingen kakbanner:"),
        "\n".join([
            _("- **%(session_cookie)s**: håller dig inloggad, skyddar formulären mot förfalskning (CSRF) och minns valt "
              "språk och namnet du signerar lappar med. Försvinner när du stänger webbläsaren; när du loggar ut tas inloggningen bort ur den.", **cookie_names()),
            _("- **%(participant_cookie)s**: din anonyma deltagarkod, så att du kan svara en gång per fråga och se och "
              "ta bort det du själv har skickat. Finns kvar i %(days)d dagar.", days=days, **cookie_names()),
        ]),
        _("Tavlan har inga spårningskakor och inga kakor från tredje part. Sidorna hämtar ingenting från andra "
          "webbplatser: inga typsnitt, skript eller statistiktjänster."),
    ]
    return "\n\n".join(blocks)


def accessibility() -> str:
    """The default accessibility statement (tillgänglighetsredogörelse), after DIGG's model."""
    assessed = format_date(date(*ASSESSED_ON), "long")
    blocks = [
        _("**[Organisationens namn]** står bakom Tavlan. Vi vill att så många som möjligt ska kunna använda tjänsten. "
          "Här beskriver vi hur Tavlan uppfyller lagen (2018:1937) om tillgänglighet till digital offentlig service, "
          "vilka kända brister som finns och hur du kan rapportera problem så att vi kan åtgärda dem."),
        _("## Hur tillgänglig är tjänsten?"),
        _("Tavlan är delvis förenlig med lagen om tillgänglighet till digital offentlig service (WCAG 2.1 nivå AA), "
          "på grund av de brister som beskrivs nedan."),
        _("## Innehåll som inte är tillgängligt"),
        "\n".join([
            _("- Kanvasen är en bild (SVG) där objekt dras mellan rutor. Samma flytt går att göra med formuläret "
              "bredvid, men helheten kan vara svår att överblicka med skärmläsare."),
            _("- Storskärmen i en session uppdateras medan folk svarar; en skärmläsare kan läsa upp ändringar ofta."),
            _("- Det deltagare och facilitatorer själva skriver (lappar, svar, frågor) granskas inte för tillgänglighet."),
        ]),
        _("## Hur vi testat tjänsten"),
        _("Vi har själva granskat Tavlan. Automatiska tester med axe-core körs på sidorna för deltagare, presentatör, "
          "väggar, kanvas och på de här sidorna, tillsammans med tester av att allt kan nås med tangentbordet. "
          "Senaste bedömningen gjordes den %(date)s. Redogörelsen uppdaterades senast den %(date)s.", date=assessed),
        _("## Rapportera brister"),
        _("Om du upptäcker problem som inte beskrivs här, eller om du behöver innehåll i ett annat format, berätta det "
          "för oss i formuläret nedan eller på **[e-postadress]**. Vi svarar inom **[antal]** arbetsdagar."),
        _("## Tillsyn"),
        _("Myndigheten för digital förvaltning (Digg) har ansvaret för tillsyn över lagen om tillgänglighet till "
          "digital offentlig service. Om du inte är nöjd med hur vi hanterar dina synpunkter kan du "
          "[anmäla det till Digg](https://www.digg.se/tdosanmalan)."),
    ]
    return "\n\n".join(blocks)


PAGES = {
    "privacy": {"default": privacy},
    "accessibility": {"default": accessibility},
}

#!/usr/bin/env python3
"""Build board/auth/common-passwords.txt: John the Ripper's password.lst (public domain; Debian package
john-data) plus Swedish passwords and patterns written for Tavlan.

    apt-get download john-data && dpkg-deb -x john-data_*.deb /tmp/john
    scripts/common-passwords.py /tmp/john/usr/share/john/password.lst > board/auth/common-passwords.txt
"""
import sys

john = [l.rstrip("\n") for l in open(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/john/password.lst", encoding="latin-1")
        if not l.startswith("#!comment")]
words = """lösenord losenord losen lösen sommar sommaren vinter vintern hösten hosten våren varen hejsan hejhej hej
hemligt hemlig hemligheter sverige svensk svenska stockholm göteborg goteborg malmö malmo uppsala västerås vasteras
örebro orebro linköping linkoping helsingborg jönköping jonkoping norrköping norrkoping lund umeå umea gävle gavle
borås boras sundsvall eskilstuna södertälje sodertalje karlstad växjö vaxjo halmstad luleå lulea kiruna visby gotland
aik djurgården djurgarden hammarby blåvitt blavitt malmöff malmoff frölunda frolunda färjestad farjestad
kalleanka kalle anka glass kärlek karlek älskling alskling jagälskardig jagalskardig älskardig alskardig
mamma pappa mormor morfar farmor farfar syster broder hund hunden katt katten kattungen häst hasten
fotboll hockey innebandy handboll ishockey ikea volvo saab abba pippi pippilångstrump pippilangstrump emil
tomte tomten jul julafton julen midsommar semester kaffe fika kanelbulle prinsessa blomma blommor solsken
regnbåge regnbage välkommen valkommen hallå hallo test testtest testar qwerty asdfgh zxcvbn qwertyuiopå
abc123 password passord hemma jobbet arbete skolan skola elev lärare larare student kommun kommunen region
regionen landsting tavlan workshop möte mote möten moten kontoret kontor sekreterare chef admin administratör
administrator användare anvandare inloggning logga loggain startsida dator datorn telefon mobilen
ängel angel sol solen måne manen stjärna stjarna himmel havet skogen sjön sjon fjällen fjallen
bamse mumin mumintrollet pippin astrid lindgren zlatan ibrahimovic sverigesbästa
""".split()
suffixes = [""] + [str(y) for y in range(2010, 2031)] + ["1", "12", "123", "1234", "12345", "123456", "!", "1!",
            "123!", "!!", "01", "11", "00", "99"] + [f"{y}!" for y in range(2018, 2031)]
seen, out = set(), []


def add(p: str) -> None:
    p = p.strip().lower()
    if p and p not in seen:
        seen.add(p)
        out.append(p)


for p in john:
    add(p)
for w in words:
    for s in suffixes:
        add(w + s)
    add(w.capitalize())
    add(w + w)
# Keyboard rows, counting and repeats, as typed to reach a minimum length.
digits = "1234567890"
for n in range(6, 17):
    add((digits * 2)[:n])
    add("0123456789012345"[:n])
    add("9876543210987654"[:n])
    for c in "0123456789abcdefghijklmnopqrstuvwxyzåäö":
        add(c * n)
for row in ("qwertyuiopå", "asdfghjklöä", "zxcvbnm", "qwertzuiop", "azertyuiop"):
    for n in range(6, len(row) + 1):
        add(row[:n])
for a, b in (("qwertyuiop", "asdfghjkl"), ("qwerty", "asdfgh"), ("qwerty", "123456"), ("123456", "qwerty"),
             ("asdfgh", "jkl"), ("1q2w3e4r", "5t6y7u8i"), ("q1w2e3r4", "t5y6u7i8")):
    add(a + b)
    add(a + b + "123")
add("1q2w3e4r5t6y"); add("1qaz2wsx3edc"); add("zaq12wsxcde3"); add("qazwsxedcrfv")
for w in ("password", "lösenord", "losenord", "sommar", "hejsan", "qwerty", "abc"):
    for n in ("123456", "12345678", "123456789", "1234567890"):
        add(w + n)
        add(n + w)
sys.stdout.write("# Passwords too common to allow (board/auth/passwords.py), one a line, lower case, UTF-8.\n"
                 "# Sources: the first part is John the Ripper's password.lst (compiled by Solar Designer,\n"
                 "# Openwall Project, 1996-2011, \"assumed to be in the public domain\"; taken from Debian's\n"
                 "# john-data 1.9.0-2). The rest was written for Tavlan: common Swedish words, places, clubs\n"
                 "# and names with the years and digits people add to them, keyboard rows and repeats.\n"
                 "# Regenerate with scripts/common-passwords.py (needs john-data's password.lst).\n")
sys.stdout.write("\n".join(out) + "\n")

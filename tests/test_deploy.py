"""The files in deploy/ stay in step with the code: the systemd unit starts gunicorn as `make run`
does, and every setting the example environment file names is one that Tavlan reads."""
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unit_command(name: str) -> list[str]:
    text = (ROOT / "deploy" / "systemd" / name).read_text()
    line = re.search(r"^ExecStart=(.*?)(?<!\\)$", text.replace("\\\n", " "), re.M).group(1)
    return shlex.split(line)


def test_the_systemd_unit_starts_gunicorn_with_the_flags_of_make_run():
    make = re.search(r"^GUNICORN := \$\(BIN\)/gunicorn (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    wanted = shlex.split(make.replace("-w 1 ", ""))  # the unit runs more workers, with Redis
    command = unit_command("tavlan.service")
    assert command[0].endswith("/.venv/bin/gunicorn") and command[-1] == "wsgi:app"
    flags = command[1:-1]
    assert flags[flags.index("-b") + 1] == "127.0.0.1:8000"  # only nginx reaches it
    assert int(flags[flags.index("-w") + 1]) >= 1
    for option in ("-b", "-w"):
        at = flags.index(option)
        del flags[at:at + 2]
    assert flags == wanted


def test_the_backup_unit_runs_the_backup_command():
    assert unit_command("tavlan-backup.service")[1:] == ["--app", "wsgi", "backup", "--output", "/var/backups/tavlan"]


def test_every_setting_in_the_example_environment_is_read_by_tavlan():
    source = "\n".join(p.read_text() for p in (ROOT / "board").rglob("*.py"))
    names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / "deploy" / "tavlan.env.example").read_text(), re.M)
    assert "DATABASE_URL" in names and "SECRET_KEY" in names
    assert [n for n in names if f'"{n}"' not in source] == []


def test_the_live_stream_caps_can_be_set_in_the_environment(monkeypatch, tmp_path):
    from board import config

    monkeypatch.setenv("TAVLAN_LIVE_STREAMS_PER_ADDRESS", "2000")
    monkeypatch.setenv("TAVLAN_LIVE_STREAMS_PER_PERSON", "12")
    settings = config.from_environment(str(tmp_path))
    assert (settings["LIVE_STREAMS_PER_ADDRESS"], settings["LIVE_STREAMS_PER_PERSON"]) == (2000, 12)

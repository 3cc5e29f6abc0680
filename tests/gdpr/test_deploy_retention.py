"""The shipped systemd unit runs the retention command that exists, daily, without prompts."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_retention_unit_runs_the_retention_command_every_day(runner):
    service = (ROOT / "deploy" / "systemd" / "tavlan-retention.service").read_text()
    timer = (ROOT / "deploy" / "systemd" / "tavlan-retention.timer").read_text()
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith("flask --app wsgi retention run") and "Type=oneshot" in service
    assert "OnCalendar=*-*-* 03:15:00" in timer and "Persistent=true" in timer
    result = runner.invoke(args=["retention", "run", "--help"])
    assert result.exit_code == 0 and "--dry-run" in result.output
